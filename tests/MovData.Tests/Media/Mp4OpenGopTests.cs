using MovData.Media;
using MovData.Tests.Harness;
using Packet = MovData.Tests.Media.Mp4CutTests.Packet;

namespace MovData.Tests.Media;

/// <summary>
/// Cuts of an MP4 whose H.264 keyframes after the first are open GOPs' I pictures (x264's
/// open-gop), on every scratch filesystem. Each join resumes on a picture that is not IDR, so
/// ffmpeg's decoder goes on counting picture order and holding reference frames across it: it
/// reported "non monotonically increasing dts" where the I picture counted below the pictures
/// kept before the join, and "mmco: unref short failure" where a picture after it released a
/// frame the cut removed. The cut now starts a few pictures later where the order needs it
/// (keeping more than asked, never less) and makes those releases ones of long-term frames,
/// a bit in the picture's bytes: ffmpeg decodes the rest with no error, every picture shown
/// outside what was removed is kept in order, and those bytes are all that changed.
/// </summary>
public sealed class Mp4OpenGopTests
{
    /// <summary>Every filesystem, the removed parts saved (the undo) and not.</summary>
    public static TheoryData<string, bool> Saving()
    {
        var data = new TheoryData<string, bool>();
        foreach (string fs in Scratch.Names)
        {
            data.Add(fs, true);
            data.Add(fs, false);
        }
        return data;
    }

    [Theory, MemberData(nameof(Saving))]
    public void Cut_OpenGops_JoinsDecodeWithNoError_AndRestoreUndoesEveryBit(string fs, bool save)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo(Recordings.OpenGopMovie, dir);
        string? saved = save ? dir.File("removed.mp4") : null;
        string original = RestoreTests.Sha256(rec);
        List<Packet> before = Mp4CutTests.Packets(rec);
        TimeRange[] asked = [new(1, 5), new(5.5, 9.2)];

        CutResult r = MediaFile.Cut(rec, asked, new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim());
        Assert.Equal(2, r.Removed.Count);
        Assert.All(r.Removed.Zip(asked), p => Assert.True(p.First.From >= p.Second.From && p.First.To <= p.Second.To,
            $"removed {p.First.From}-{p.First.To} s of {p.Second.From}-{p.Second.To} s"));

        // Every picture shown outside what was removed, in decode order, its bytes as they were
        // but for a byte or two of a release rewritten; none of those inside.
        double start = before[0].Start;
        List<Packet> expected = [.. before.Where(p => !r.Removed.Any(x => p.Pts - start >= x.From - 0.0005 && p.Pts - start < x.To - 0.0005))];
        (List<Packet> after, int marked) = Mp4CutTests.Unmarked(Recordings.Path(Recordings.OpenGopMovie), before, rec, Mp4CutTests.Packets(rec));
        Assert.Equal(expected.Select(p => p.Hash), after.Select(p => p.Hash));
        Assert.True(marked is >= 1 and <= 4, $"{marked} pictures' releases rewritten at two joins");
        Assert.All(after.Zip(after.Skip(1)), p => Assert.True(p.First.Dts < p.Second.Dts, $"decode times {p.First.Dts} then {p.Second.Dts}"));
        if (saved is null)
        {
            return;
        }
        // The removed parts play: no keyframe lies in them (each starts past a keyframe, less
        // than a GOP before the next), so they hold their audio and no video track.
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", saved, "-map", "0", "-f", "null", "-").Output.Trim());
        Assert.Equal(["audio"], Probe.Streams(saved).Select(x => x.GetProperty("codec_type").GetString()));

        MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(original, RestoreTests.Sha256(rec));
    }

    public static TheoryData<string, string> Hevc() => Scratch.EveryFileSystemWith(["mov-hevc-timecode", Recordings.HevcFragmentedMovie]);

    /// <summary>
    /// x265's open GOPs cut from 2 to 10 s: the CRA picture the video resumes on went on
    /// counting picture order from the pictures kept before the join, came out below them, and
    /// ffmpeg put six frames out with falling timestamps. Marked a broken link (BLA), a byte of
    /// its slice header, it counts afresh: no error, and that byte is all that changed. In the
    /// fragmented MP4, cut by whole fragments, the CRA's leading pictures stay (ffmpeg reported
    /// falling timestamps and duplicate picture order counts there), and a decoder skips them
    /// after a BLA.
    /// </summary>
    [Theory, MemberData(nameof(Hevc))]
    public void Cut_HevcAcrossEightSeconds_TheCraItResumesOnIsABrokenLink(string fs, string kind)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo(kind, dir);
        string saved = dir.File("removed" + System.IO.Path.GetExtension(rec));
        string original = RestoreTests.Sha256(rec);
        List<Packet> before = Mp4CutTests.Packets(rec);

        CutResult r = MediaFile.Cut(rec, [new(2, 10)], new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim());
        (List<Packet> after, int marked) = Mp4CutTests.Unmarked(Recordings.Path(kind), before, rec, Mp4CutTests.Packets(rec));
        Assert.Equal(1, marked);
        Packet resumed = Assert.Single(after, p => p.Key && p.Pts - p.Start > 1.9 && p.Pts - p.Start < 2.1);
        Assert.Equal(before.Single(p => p.Key && Math.Abs(p.Pts - p.Start - 10) < 0.01).Hash, resumed.Hash);

        MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(original, RestoreTests.Sha256(rec));
    }

    /// <summary>
    /// x264's open GOPs in a fragmented MP4, cut by whole fragments at 2-4 and 6-10 s: a
    /// picture kept after a join released a reference frame the cut removed, and ffmpeg
    /// reported "mmco: unref short failure". Those releases are rewritten as in a whole movie
    /// (a bit each). The I picture's leading pictures stay in its fragment; where they would be
    /// shown, ffmpeg may still report a repeated timestamp, which this does not mend.
    /// </summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cut_FragmentedOpenGops_NoReleaseOfARemovedFrameFails_AndRestoreUndoesEveryBit(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo(Recordings.OpenGopFragmentedMovie, dir);
        string saved = dir.File("removed.mp4");
        string original = RestoreTests.Sha256(rec);
        List<Packet> before = Mp4CutTests.Packets(rec);

        MediaFile.Cut(rec, [new(2, 4), new(6, 10)], new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

        string errors = Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output;
        Assert.DoesNotContain("mmco", errors, StringComparison.Ordinal);
        (_, int marked) = Mp4CutTests.Unmarked(Recordings.Path(Recordings.OpenGopFragmentedMovie), before, rec, Mp4CutTests.Packets(rec));
        Assert.True(marked is >= 1 and <= 4, $"{marked} pictures' releases rewritten at two joins");

        MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(original, RestoreTests.Sha256(rec));
    }

    /// <summary>
    /// x264's open GOPs with their head cut (and a range after it): the video starts on an I
    /// picture that is not IDR, and a picture kept after it released a frame from before it,
    /// which a decoder starting there never held ("mmco: unref short failure"). Such a
    /// release is rewritten as one after a join is, a decoder holding nothing at the start.
    /// </summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cut_OpenGopsHead_DecodesWithNoError_AndRestoreUndoesEveryBit(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo(Recordings.OpenGopMovie, dir);
        string saved = dir.File("removed.mp4");
        string original = RestoreTests.Sha256(rec);
        List<Packet> before = Mp4CutTests.Packets(rec);

        CutResult r = MediaFile.Cut(rec, [new(0, 2), new(5, 9)], new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(0, r.Removed[0].From);
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim());
        (_, int marked) = Mp4CutTests.Unmarked(Recordings.Path(Recordings.OpenGopMovie), before, rec, Mp4CutTests.Packets(rec));
        Assert.True(marked is >= 1 and <= 4, $"{marked} pictures' releases rewritten after the head and a join");

        MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(original, RestoreTests.Sha256(rec));
    }
}
