using System.Globalization;
using System.Text.Json;
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

    /// <summary>x264's open GOPs fragmented with absolute offsets and an mfra, and with DASH's layout.</summary>
    public static TheoryData<string, string> FragmentedH264() =>
        Scratch.EveryFileSystemWith([Recordings.OpenGopFragmentedMovie, Recordings.OpenGopIndexedFragmentedMovie]);

    /// <summary>
    /// The saved movie of x264's open GOPs cut at 2-4 and 6-10 s: its first run of video starts
    /// on an I picture whose followers release frames from before it, which a decoder of the
    /// saved movie never held (ffmpeg reported "mmco: unref short failure"). Those releases are
    /// rewritten in the saved movie's bytes as at a cut's joins, a bit each: ffmpeg decodes it
    /// with no error, every other saved picture is as it was, and restore puts the recording's
    /// own bytes back.
    /// </summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cut_OpenGops_TheSavedMovieDecodesWithNoError_AndRestoreUndoesEveryBit(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        (string rec, string saved, string original, List<Packet> before) = Prepare(dir, Recordings.OpenGopMovie);

        MediaFile.Cut(rec, [new(2, 4), new(6, 10)], new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", saved, "-map", "0", "-f", "null", "-").Output.Trim());
        List<Packet> savedPackets = Mp4CutTests.Packets(saved);
        (List<Packet> shown, int marked) = Mp4CutTests.Unmarked(Recordings.Path(Recordings.OpenGopMovie), before, saved, savedPackets);
        Assert.True(marked is >= 1 and <= 4, $"{marked} pictures' releases rewritten in the saved movie");
        HashSet<string> known = [.. before.Select(p => p.Hash)];
        Assert.All(shown, p => Assert.Contains(p.Hash, known));
        // Rewritten: pictures that follow a run's I picture (and its leading pictures, left out).
        Assert.Contains(savedPackets, p => !p.Key && !known.Contains(p.Hash));

        MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(original, RestoreTests.Sha256(rec));
    }

    /// <summary>A stream's duration as ffprobe gives it, in seconds.</summary>
    private static double Seconds(JsonElement stream) => double.Parse(stream.GetProperty("duration").GetString()!, CultureInfo.InvariantCulture);

    /// <summary>A copy of recording <paramref name="kind"/> in <paramref name="dir"/>, where its
    /// removed parts are to be saved, its SHA-256 and its video packets.</summary>
    private static (string Rec, string Saved, string Original, List<Packet> Before) Prepare(ScratchDir dir, string kind)
    {
        string rec = Recordings.CopyTo(kind, dir);
        return (rec, dir.File("removed" + System.IO.Path.GetExtension(rec)), RestoreTests.Sha256(rec), Mp4CutTests.Packets(rec));
    }

    public static TheoryData<string, string> Hevc() => Scratch.EveryFileSystemWith(["mov-hevc-timecode", Recordings.HevcFragmentedMovie]);

    /// <summary>
    /// x265's open GOPs cut from 2 to 10 s: the CRA picture the video resumes on went on
    /// counting picture order from the pictures kept before the join, came out below them, and
    /// ffmpeg put six frames out with falling timestamps. Marked a broken link (BLA), a byte of
    /// its slice header, it counts afresh: no error, and that byte is all that changed. In the
    /// fragmented MP4, cut by whole fragments, the CRA's leading pictures were left in its
    /// fragment (ffmpeg reported falling timestamps and duplicate picture order counts there):
    /// a decoder skips them after a BLA, and where the moof can be rewritten they are left out.
    /// </summary>
    [Theory, MemberData(nameof(Hevc))]
    public void Cut_HevcAcrossEightSeconds_TheCraItResumesOnIsABrokenLink(string fs, string kind)
    {
        using ScratchDir dir = Scratch.On(fs);
        (string rec, string saved, string original, List<Packet> before) = Prepare(dir, kind);

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
    /// x264's open GOPs in a fragmented MP4, cut by fragments at 2-4 and 6-10 s. The I
    /// picture a join resumes on has leading pictures in its fragment, decoded from frames the
    /// cut removed (ffmpeg reported "co located POCs unavailable" and repeated timestamps):
    /// they are left out of the fragment's moof, its track run split around them, and every
    /// other picture keeps its data and its time less the time removed before it. A picture
    /// kept after a join released a reference frame the cut removed ("mmco: unref short
    /// failure"): such releases are rewritten as in a whole movie (a bit each). Where the I
    /// picture counts below the pictures kept before the join (at 2-4 s here), ffmpeg reported
    /// a repeated timestamp: the cut starts a few pictures into its first fragment instead,
    /// as a whole movie's does, that fragment shortened to keep them.
    /// </summary>
    [Theory, MemberData(nameof(FragmentedH264))]
    public void Cut_FragmentedOpenGops_LeadingPicturesLeftOut_NoReleaseOfARemovedFrameFails_AndRestoreUndoesEveryBit(string fs, string kind)
    {
        using ScratchDir dir = Scratch.On(fs);
        (string rec, string saved, string original, List<Packet> before) = Prepare(dir, kind);
        List<long> moofSizes = [.. Mp4FragmentCutTests.TopBoxes(rec).Where(b => b.Type == "moof").Select(b => b.Size)];
        long size = new FileInfo(rec).Length;

        CutResult r = MediaFile.Cut(rec, [new(2, 4), new(6, 10)], new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim());

        // A fragment every 2 s: the first, the third and the last are left, the second too
        // where the cut starts inside it (2-4 s), and a moof a join resumes on changed size
        // (its run split), so it moved, and the indexes with it.
        double start = before[0].Start;
        Assert.Equal([true, false], r.Removed.Select(x => FragmentedRemoval.StartsInsideAFragment(before, x)));
        List<long> moofsAfter = [.. Mp4FragmentCutTests.TopBoxes(rec).Where(b => b.Type == "moof").Select(b => b.Size)];
        Assert.Equal(6, moofSizes.Count);
        Assert.Equal(4, moofsAfter.Count);
        Assert.Equal(moofSizes[1], moofsAfter[1]);
        Assert.NotEqual([moofSizes[0], moofSizes[1], moofSizes[2], moofSizes[5]], moofsAfter);
        Mp4FragmentCutTests.IndexesPointAtMoofs(rec, Recordings.Path(kind));
        // Gone: what is shown in a range, and what its fragments hold in decode order from its
        // first picture removed (the keyframe at its start, or the first shown in it from the
        // pictures decoded after those kept) to the keyframe at its end: the leading pictures
        // of that keyframe, shown just before it, too.
        double KeyDts(double at) => FragmentedRemoval.KeyDts(before, at);
        double FirstDts(RemovedRange x) => FragmentedRemoval.FirstDts(before, x);
        bool Removed(Packet p) => FragmentedRemoval.Removes(before, r.Removed, p);
        // A fragment's decode times move back by the decode time removed before it.
        double LostBefore(Packet p) => r.Removed.Where(x => x.To <= p.Pts - start + 0.0005).Sum(x => KeyDts(x.To) - FirstDts(x));
        List<Packet> expected = [.. before.Where(p => !Removed(p))];
        // The removed pictures' bytes left the file, those of the shortened fragment too (its
        // removed pictures lie before its kept sound: their whole blocks collapse inside its
        // mdat), all but the partial blocks at the edges of what went (a few of them).
        long removedBytes = before.Where(Removed).Sum(p => (long)p.Size);
        Assert.True(size - new FileInfo(rec).Length > removedBytes - 64 * 1024,
            $"the file shrank by {size - new FileInfo(rec).Length} bytes; the pictures removed held {removedBytes}");
        // Each stream lost the time removed: the video its decode time, the sound as much to
        // its nearest frame (21.3 ms), where a fragment was shortened too.
        JsonElement[] was = Probe.Streams(Recordings.Path(kind)), now = Probe.Streams(rec);
        double lost = r.Removed.Sum(x => KeyDts(x.To) - FirstDts(x));
        double Drop(int i) => Seconds(was[i]) - Seconds(now[i]);
        Assert.Equal(["video", "audio"], now.Select(x => x.GetProperty("codec_type").GetString()));
        Assert.InRange(Drop(0), lost - 0.001, lost + 0.001);
        Assert.InRange(Drop(1), lost - 0.022, lost + 0.022);
        // The file has leading pictures there: shown before a join's keyframe, decoded after it.
        Assert.Contains(before, p => r.Removed.Any(x => p.Pts - start < x.To - 0.0005 && p.Dts > KeyDts(x.To)));
        // As the fragments' tfdt tells the times, and as the mfra does (its moof offsets moved
        // with a moof that the leading pictures' removal moved).
        int marked = 0;
        foreach (string[] options in new[] { Array.Empty<string>(), ["-use_mfra_for", "pts"] })
        {
            (List<Packet> after, marked) = Mp4CutTests.Unmarked(Recordings.Path(kind), before, rec, Mp4CutTests.Packets(rec, options));
            Assert.Equal(expected.Select(p => p.Hash), after.Select(p => p.Hash));
            for (int i = 0; i < after.Count; i++)
            {
                double want = expected[i].Pts - start - LostBefore(expected[i]);
                Assert.True(Math.Abs(after[i].Pts - after[0].Start - want) < 0.0015,
                    $"{string.Join(' ', options)}: packet {i} shows at {after[i].Pts - after[0].Start:0.###} s, not {want:0.###} s");
            }
        }
        Assert.True(marked is >= 1 and <= 4, $"{marked} pictures' releases rewritten at two joins");

        MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(original, RestoreTests.Sha256(rec));
    }

    /// <summary>
    /// x264's open GOPs fragmented with a subtitle track, cut at 2-4 s: the fragment at 2 s is
    /// shortened (the later start), and its last kept data, a subtitle, is followed by a
    /// removed 3-byte one (the cue at 2.5 s), too few bytes for a free box before the next
    /// fragment: mdat takes them in. (A free box's 8-byte header written there ran over the next moof:
    /// ffprobe read 55 of the 255 pictures and stopped at the join, and ffmpeg said nothing.)
    /// </summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cut_FragmentedOpenGopsWithSubtitles_ReadToTheEnd_AndRestoreUndoesEveryBit(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        (string rec, string saved, string original, List<Packet> before) = Prepare(dir, Recordings.OpenGopSubtitledFragmentedMovie);
        JsonElement[] was = Probe.Streams(rec);

        CutResult r = MediaFile.Cut(rec, [new(2, 4)], new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

        Assert.True(FragmentedRemoval.StartsInsideAFragment(before, Assert.Single(r.Removed)));
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0:v", "-map", "0:a", "-f", "null", "-").Output.Trim());
        (List<Packet> after, _) = Mp4CutTests.Unmarked(Recordings.Path(Recordings.OpenGopSubtitledFragmentedMovie), before, rec, Mp4CutTests.Packets(rec));
        Assert.Equal(before.Where(p => !FragmentedRemoval.Removes(before, r.Removed, p)).Select(p => p.Hash), after.Select(p => p.Hash));
        // The sound read to the end too: all but the 1.8 s removed, to a frame (21.3 ms).
        JsonElement[] now = Probe.Streams(rec);
        Assert.Equal(["video", "audio", "subtitle"], now.Select(x => x.GetProperty("codec_type").GetString()));
        int sound = int.Parse(was[1].GetProperty("nb_read_packets").GetString()!, CultureInfo.InvariantCulture) - int.Parse(now[1].GetProperty("nb_read_packets").GetString()!, CultureInfo.InvariantCulture);
        Assert.InRange(sound, 83, 86);

        MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(original, RestoreTests.Sha256(rec));
    }

    /// <summary>
    /// x264's open GOPs fragmented with sparse subtitles (ffmpeg writes each cue in the
    /// fragment where it starts, lasting until the next: cues at 2, 4.5 and 8 s, none in the
    /// fragment of 6-8 s), cut at 2-4, 4-6, 6-8 and 4-8 s, each restored before the next. The
    /// first three start inside their first fragment (the later start), 4-8 s at a fragment's
    /// edge. The subtitle track loses the time the video does, whatever the removed fragments
    /// held of it: counted from its own removed samples, cues after 6-8 s (whose fragments hold
    /// none) stayed 1.8 s late, and after 4-8 s 0.5 s late. The cue kept before a range, shown
    /// on into it, ends where the range starts, so no cue overlaps the next (read from the
    /// fragments' bytes: ffprobe does not show these durations). At 4-6 s the cue at 4.5 s is
    /// shown inside the range and goes; timed from its own fragment's start, it was kept.
    /// Every cue before a range stays, every one after moves back by the video's loss.
    /// </summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cut_FragmentedOpenGopsWithSparseSubtitles_TheCuesAfterStayInStep(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        (string rec, string saved, string original, List<Packet> before) = Prepare(dir, Recordings.OpenGopSparseSubtitledFragmentedMovie);
        double[] cues = Cues(rec);
        Assert.Equal(5, cues.Length);
        double start = before[0].Start;
        foreach ((TimeRange range, bool later) in new[] { (new TimeRange(2, 4), true), (new(4, 6), true), (new(6, 8), true), (new(4, 8), false) })
        {
            CutResult r = MediaFile.Cut(rec, [range], new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

            RemovedRange x = Assert.Single(r.Removed);
            Assert.Equal(later, FragmentedRemoval.StartsInsideAFragment(before, x));
            double lost = FragmentedRemoval.KeyDts(before, x.To) - FragmentedRemoval.FirstDts(before, x);
            double[] expected = [.. cues.Where(c => c - start < x.From || c - start >= x.To).Select(c => c - start < x.From ? c : c - lost)];
            double[] now = Cues(rec);
            Assert.Equal(expected.Length, now.Length);
            Assert.All(expected.Zip(now), c => Assert.Equal(c.First, c.Second, 0.0015));
            CuesEndInOrder(rec, now, $"{range}");

            MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);

            Assert.Equal(original, RestoreTests.Sha256(rec));
        }
    }

    /// <summary>
    /// The sparse subtitles' file cut at 8-10 s: the join needs the later start, and the
    /// shortened fragment's last kept data would be the cue at 8 s, last in its mdat, which
    /// leaves the range no room for the next fragment's moof to grow into when it leaves out
    /// its leading pictures. The fragment keeps no text instead (the cue starts at its
    /// keyframe, inside the range asked for), and the cut starts later: ffmpeg is silent,
    /// every picture outside what went is kept, and the cue at 8 s is gone while those before
    /// stay. (Kept at the fragment's edge, ffmpeg reported the join's repeated timestamp.)
    /// </summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cut_FragmentedOpenGopsWithACueLastInMdat_StartsLaterWithoutIt(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        (string rec, string saved, string original, List<Packet> before) = Prepare(dir, Recordings.OpenGopSparseSubtitledFragmentedMovie);
        double[] cues = Cues(rec);
        Assert.Equal(["2", "3", "3", "3", "2"], TextSizes(rec));

        CutResult r = MediaFile.Cut(rec, [new(8, 10)], new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

        RemovedRange x = Assert.Single(r.Removed);
        Assert.True(FragmentedRemoval.StartsInsideAFragment(before, x), $"the cut was {x.From}-{x.To}");
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0:v", "-map", "0:a", "-f", "null", "-").Output.Trim());
        (List<Packet> after, _) = Mp4CutTests.Unmarked(Recordings.Path(Recordings.OpenGopSparseSubtitledFragmentedMovie), before, rec, Mp4CutTests.Packets(rec));
        Assert.Equal(before.Where(p => !FragmentedRemoval.Removes(before, r.Removed, p)).Select(p => p.Hash), after.Select(p => p.Hash));
        double[] now = Cues(rec);
        double start = before[0].Start;
        Assert.Equal(cues.Where(c => c - start < 8 - 0.0005), now.Where(c => c - start < 8 - 0.0005));
        Assert.Equal(["2", "3", "3", "2"], TextSizes(rec)); // the empty start, the cues at 2 and 4.5 s, the end; not the cue at 8 s
        CuesEndInOrder(rec, now, "8-10");

        MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(original, RestoreTests.Sha256(rec));
    }

    /// <summary>
    /// A cue that starts just before a keyframe (at 5.92 s; the keyframe at 6 s), which ffmpeg
    /// puts into that keyframe's fragment, the one a cut of 4-6 s resumes on: losing the
    /// video's time, it would start before the join, where the cue kept before the range
    /// ends. It starts at the join instead, shown that much less (its track fragment's tfdt
    /// moved back that much less, its duration shortened), and every cue after it moves back
    /// by the video's loss. Before, the subtitle track lost that much less time at the range,
    /// so every later cue was late by it (the cue at 9 s by 0.08 s).
    /// </summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cut_FragmentedSubtitles_ACueJustBeforeTheKeyframe_StartsAtTheJoin_TheRestStayInStep(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        (string rec, string saved, string original, List<Packet> before) = Prepare(dir, Recordings.OpenGopEarlyCueSubtitledFragmentedMovie);
        double[] cues = Cues(rec);
        double start = before[0].Start;
        Assert.Equal([2, 5.92, 9], cues.Where(c => c > 0.1 && c - start < 10).Select(c => Math.Round(c - start, 2)));

        CutResult r = MediaFile.Cut(rec, [new(4, 6)], new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

        RemovedRange x = Assert.Single(r.Removed);
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0:v", "-map", "0:a", "-f", "null", "-").Output.Trim());
        double lost = FragmentedRemoval.KeyDts(before, x.To) - FragmentedRemoval.FirstDts(before, x);
        double early = cues.Single(c => Math.Abs(c - start - 5.92) < 0.0005);
        Assert.True(early - lost < x.From + start - 0.01, $"the cue at 5.92 s would not start before the join ({early - lost} s, the join at {x.From + start} s)");
        double[] expected = [.. cues.Select(c => c - start < x.From ? c : c == early ? x.From + start : c - lost)];
        double[] now = Cues(rec);
        Assert.Equal(expected.Length, now.Length);
        Assert.All(expected.Zip(now), c => Assert.Equal(c.First, c.Second, 0.0015));
        CuesEndInOrder(rec, now, "4-6");
        // It ends where it ended, less the video's loss: where the cue after it now starts.
        List<(double Start, double Duration)> samples = Mp4FragmentCutTests.TrackSamples(rec, 3);
        (double Start, double Duration) moved = samples.Single(c => Math.Abs(c.Start - (x.From + start)) < 0.0015 && c.Duration > 0.5);
        Assert.Equal(9 + start - lost, moved.Start + moved.Duration, 0.0015);

        MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(original, RestoreTests.Sha256(rec));
    }

    /// <summary>
    /// Subtitles written with edit lists (the video's starts 0.08 s into its media, the
    /// subtitles' at 0), cut at the head (0-2 s): the cue at 1.9 s lies in the fragment the
    /// video resumes on, whose keyframe is decoded at 1.96 s, so losing the video's whole time
    /// would start it before 0 (a tfdt of -0.06 s, written as 2^64 less that). It starts at 0,
    /// shown that much less, and the cues after it move back by the video's loss (before, by
    /// 0.06 s less). The cue at 0.5 s goes with the head.
    /// </summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Cut_FragmentedSubtitlesHead_NoCueStartsBeforeZero(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        (string rec, string saved, string original, List<Packet> before) = Prepare(dir, Recordings.OpenGopEditedSubtitledFragmentedMovie);
        double[] cues = Cues(rec);
        Assert.Equal(["2", "3", "3", "3", "2"], TextSizes(rec)); // empty, 0.5, 1.9, 5, the end
        Assert.Equal([0, 0.5, 1.9, 5, 6], cues);

        CutResult r = MediaFile.Cut(rec, [new(0, 2)], new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

        RemovedRange x = Assert.Single(r.Removed);
        Assert.Equal(0, x.From);
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0:v", "-map", "0:a", "-f", "null", "-").Output.Trim());
        Assert.Equal(["3", "3", "2"], TextSizes(rec));
        double lost = FragmentedRemoval.KeyDts(before, x.To) - before.Min(p => p.Dts);
        double[] now = Cues(rec);
        Assert.Equal(0, now[0], 0.0005);
        Assert.Equal(cues[3] - lost, now[1], 0.0015);
        CuesEndInOrder(rec, now, "0-2");

        MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(original, RestoreTests.Sha256(rec));
    }

    /// <summary>The subtitle track's (track 3's) samples as its moofs' bytes give them start
    /// where ffprobe shows <paramref name="shown"/>, and none lasts past the next's start
    /// (ffprobe shows no durations for them).</summary>
    private static void CuesEndInOrder(string path, double[] shown, string cut)
    {
        List<(double Start, double Duration)> samples = Mp4FragmentCutTests.TrackSamples(path, 3);
        Assert.Equal(shown, samples.Select(c => c.Start), (a, b) => Math.Abs(a - b) < 0.0015);
        Assert.All(samples.Zip(samples.Skip(1)), c => Assert.True(c.First.Start + c.First.Duration <= c.Second.Start + 0.0005,
            $"{cut}: the cue at {c.First.Start} s lasts {c.First.Duration} s, past the next at {c.Second.Start} s"));
    }

    /// <summary>The sizes of the subtitle track's samples, as ffprobe reads them (ffmpeg's
    /// mov_text: a 2-byte length, then the text; an empty one ends a cue).</summary>
    private static string[] TextSizes(string path) =>
        Tools.Run("ffprobe", "-v", "error", "-select_streams", "s", "-show_entries", "packet=size", "-of", "csv=p=0", path).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The times ffprobe shows the subtitle track's samples at.</summary>
    private static double[] Cues(string path) =>
        [.. Tools.Run("ffprobe", "-v", "error", "-select_streams", "s", "-show_entries", "packet=pts_time", "-of", "csv=p=0", path).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(x => double.Parse(x, CultureInfo.InvariantCulture))];

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
        (string rec, string saved, string original, List<Packet> before) = Prepare(dir, Recordings.OpenGopMovie);

        CutResult r = MediaFile.Cut(rec, [new(0, 2), new(5, 9)], new CutOptions { SaveRemovedTo = saved }, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(0, r.Removed[0].From);
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim());
        (_, int marked) = Mp4CutTests.Unmarked(Recordings.Path(Recordings.OpenGopMovie), before, rec, Mp4CutTests.Packets(rec));
        Assert.True(marked is >= 1 and <= 4, $"{marked} pictures' releases rewritten after the head and a join");

        MediaFile.Restore(rec, saved, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(original, RestoreTests.Sha256(rec));
    }
}

/// <summary>What a fragment cut of x264's open GOPs removes, by the original's video packets:
/// what each range shows, and in decode order from its first picture removed (the keyframe at
/// its start, or the first shown in it of those decoded after the pictures kept) to the
/// keyframe at its end, whose leading pictures, shown just before it, go too.</summary>
internal static class FragmentedRemoval
{
    /// <summary>Whether <paramref name="x"/> starts past a keyframe, inside the fragment that
    /// keyframe begins (the later start): no keyframe is shown at its start.</summary>
    internal static bool StartsInsideAFragment(List<Packet> before, RemovedRange x) =>
        !before.Any(k => k.Key && Math.Abs(k.Pts - before[0].Start - x.From) < 0.0005);

    internal static double KeyDts(List<Packet> before, double at) => before.Single(k => k.Key && Math.Abs(k.Pts - before[0].Start - at) < 0.0005).Dts;

    internal static double FirstDts(List<Packet> before, RemovedRange x) =>
        before.Where(p => p.Pts - before[0].Start >= x.From - 0.0005 && p.Dts < KeyDts(before, x.To)).Min(p => p.Dts);

    internal static bool Removes(List<Packet> before, IReadOnlyList<RemovedRange> removed, Packet p) =>
        removed.Any(x => (p.Pts - before[0].Start >= x.From - 0.0005 && p.Pts - before[0].Start < x.To - 0.0005)
            || (p.Dts >= FirstDts(before, x) && p.Dts < KeyDts(before, x.To)));
}
