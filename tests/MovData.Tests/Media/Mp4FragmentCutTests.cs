using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using MovData.Media;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// Cuts of fragmented MP4s made by ffmpeg (absolute tfhd offsets and an mfra; B-frames,
/// moof-relative offsets and a sidx per track; the first fragment indexed in moov), on every scratch filesystem, judged by ffmpeg:
/// what is left decodes with no error; every video packet outside the removed ranges is there,
/// data intact and in order, its time moved back by exactly the time removed before it (the
/// tfdt rewritten: ffprobe reads it, and with -use_mfra_for the mfra's times instead), none
/// inside them; every stream loses the same time; the mfra's and sidx's entries point at the
/// fragments that are left; a few bytes a fragment are written; and where the filesystem
/// shifts blocks, the last fragment keeps its physical blocks.
/// </summary>
public sealed class Mp4FragmentCutTests
{
    private static readonly string[] Kinds = ["mp4-fragmented", "mp4-fragmented-sidx", "mp4-fragmented-split"];

    public static TheoryData<string, string> Matrix() => Scratch.EveryFileSystemWith(Kinds);

    [Theory, MemberData(nameof(Matrix))]
    public void Cut_OneFragment_TimesRunOnAndTheIndexesPointAtWhatIsLeft(string fs, string kind) =>
        CutAndJudge(fs, kind, [new(4, 6.5)]); // ffmpeg's keyframes here are at 2.02 s, 4.02 s, ...

    [Theory, MemberData(nameof(Matrix))]
    public void Cut_HeadMiddleAndTail_InOneEdit(string fs, string kind) =>
        CutAndJudge(fs, kind, [new(0, 2), new(4.3, 8.2), new(9, 100)]);

    private static void CutAndJudge(string fs, string kind, TimeRange[] ranges)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = Recordings.CopyTo(kind, dir);
        List<Packet> before = Packets(rec);
        Dictionary<string, double> durations = Mp4CutTests.Durations(rec);
        long size = new FileInfo(rec).Length;
        List<(long Offset, long Size, string Type)> boxesBefore = TopBoxes(rec);
        // The last fragment's whole blocks: kept (no range reaches 12 s), after the collapses.
        long lastMoof = boxesBefore.Last(b => b.Type == "moof").Offset;
        long lastEnd = boxesBefore.Last(b => b.Type == "mdat").Offset + boxesBefore.Last(b => b.Type == "mdat").Size;
        long tailAt = (lastMoof + Files.Block - 1) / Files.Block * Files.Block, tailLength = lastEnd / Files.Block * Files.Block - tailAt;
        byte[] tail = Files.Read(rec, tailAt, tailLength);
        long[]? tailBlocks = dir.Kind.Fiemap ? Files.PhysicalBlocks(rec, tailAt, tailLength) : null;
        bool tailCut = ranges.Any(r => r.To >= 12);

        CutResult r = MediaFile.Cut(rec, ranges, cancel: TestContext.Current.CancellationToken);

        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim());
        double removedTime = r.Removed.Sum(x => x.To - x.From);
        Assert.Equal(r.DurationBefore - removedTime, r.DurationAfter, 0.001);

        // Video: the packets outside the removed ranges, data and order intact, each moved back
        // by the time removed before it (the new tfdt; with -use_mfra_for, the mfra's times).
        double start = before[0].Start;
        bool Removed(Packet p) => r.Removed.Any(x => p.Pts - start >= x.From - 0.0005 && p.Pts - start < x.To - 0.0005);
        double LostBefore(Packet p) => r.Removed.Where(x => x.To <= p.Pts - start + 0.0005).Sum(x => x.To - x.From);
        List<Packet> expected = [.. before.Where(p => !Removed(p))];
        Assert.True(expected.Count < before.Count, "nothing was removed");
        // With -use_mfra_for, ffmpeg reads the file whose first fragment moov indexes without
        // the first moof's packets, before any cut (250 of 300 here): its mfra is judged by
        // where its entries point (below), not by that reading.
        string[][] readings = kind == "mp4-fragmented-split" ? [[]] : [[], ["-use_mfra_for", "pts"]];
        foreach (string[] options in readings)
        {
            List<Packet> after = Packets(rec, options);
            Assert.Equal(expected.Select(p => p.Hash), after.Select(p => p.Hash));
            for (int i = 0; i < after.Count; i++)
            {
                double want = expected[i].Pts - start - LostBefore(expected[i]);
                Assert.True(Math.Abs(after[i].Pts - after[0].Start - want) < 0.0015,
                    $"{string.Join(' ', options)}: packet {i} shows at {after[i].Pts - after[0].Start:0.###} s, not {want:0.###} s");
            }
        }

        // Every stream loses the removed time: the video exactly; audio, whose fragments' edges
        // are not the video's, by no more than it lost, less at most an AAC frame (21 ms) a range.
        Dictionary<string, double> now = Mp4CutTests.Durations(rec);
        Assert.Equal(durations["v:0"] - removedTime, now["v:0"], 0.002);
        foreach ((string stream, double was) in durations)
        {
            // A tail cut takes the audio past the video's end with the last fragment.
            double want = tailCut ? now["v:0"] : was - removedTime;
            Assert.True(Math.Abs(now[stream] - want) <= 0.022 * r.Removed.Count, $"{stream}: {was} s before, {now[stream]} s after removing {removedTime} s");
        }

        Assert.True(TopBoxes(rec).Count(b => b.Type == "moof") < boxesBefore.Count(b => b.Type == "moof"), "no fragment went");
        IndexesPointAtMoofs(rec, Recordings.Path(kind), tailCut);

        // Cost: a few bytes a fragment; whole blocks collapsed, the last fragment where it was.
        Assert.True(r.BytesWritten <= 64 * 1024, $"{r.BytesWritten} bytes written");
        Assert.Equal(dir.Kind.ShiftMethod, r.Method);
        long collapsed = r.Collapsed.Where(c => c.Offset + c.Length < size).Sum(c => c.Length); // not the mfra, cut off at the end
        Assert.True(collapsed > 0 && collapsed % Files.Block == 0, $"{collapsed} bytes collapsed");
        Assert.True(new FileInfo(rec).Length <= size - collapsed, "the file did not shrink by what was collapsed");
        if (!tailCut)
        {
            long moved = collapsed;
            Files.AssertBytes(tail, rec, tailAt - moved);
            if (dir.Kind.ShiftMethod != RangeMethod.Copy)
            {
                Assert.Equal(0, r.BytesCopied);
                Assert.Equal(tailBlocks, Files.PhysicalBlocks(rec, tailAt - moved, tailLength));
            }
        }
        Assert.False(Directory.Exists(dir.File(".movdata-journal")), "the journal record was not removed");
    }

    private sealed record Packet(double Pts, double Start, string Hash);

    /// <summary>The video packets in decode order: presentation time and a hash of their data.</summary>
    private static List<Packet> Packets(string path, params string[] options)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", [.. options, "-v", "error", "-select_streams", "v:0", "-show_data_hash", "sha256",
            "-show_entries", "packet=pts_time,data_hash:stream=start_time", "-of", "json", path]);
        Assert.True(code == 0, err);
        using JsonDocument doc = JsonDocument.Parse(output);
        double start = double.Parse(doc.RootElement.GetProperty("streams")[0].GetProperty("start_time").GetString()!, CultureInfo.InvariantCulture);
        return [.. doc.RootElement.GetProperty("packets").EnumerateArray().Select(p => new Packet(
            double.Parse(p.GetProperty("pts_time").GetString()!, CultureInfo.InvariantCulture), start, p.GetProperty("data_hash").GetString()!))];
    }

    /// <summary>The indexes of <paramref name="rec"/>, a fragmented MP4 with an mfra, after a
    /// cut of <paramref name="original"/>: every mfra entry and every sidx reference begins at
    /// a moof that is left, and the sidx's references run to the last fragment's end. Each
    /// reference's time is, as ffmpeg writes it, the presentation time of its first sample in
    /// decode order less the offset the original's index has (the first sample's composition
    /// offset: 1024 ticks with B-frames), as ffprobe shows the packets, and the last one ends
    /// where its last sample shown ends, less the offset the original's end has (the same for
    /// video; for AAC, whose last packet ffprobe shows ending half a frame past its decode
    /// durations, 0.0107 s), or its start's where <paramref name="tailCut"/> took that last
    /// packet: the index's times moved with the fragments'.</summary>
    internal static void IndexesPointAtMoofs(string rec, string original, bool tailCut = false)
    {
        List<(long Offset, long Size, string Type)> boxes = TopBoxes(rec);
        HashSet<long> moofs = [.. boxes.Where(b => b.Type == "moof").Select(b => b.Offset)];
        Assert.Equal("mfra", boxes[^1].Type);
        List<long> entries = RandomAccessEntries(rec, boxes[^1]);
        Assert.NotEmpty(entries);
        Assert.All(entries, e => Assert.Contains(e, moofs));
        var offsets = new Dictionary<int, (double Start, double End)>();
        foreach ((long at, long size, _) in TopBoxes(original).Where(b => b.Type == "sidx"))
        {
            (int t, List<(long At, long Size, double Time)> o, double oEnd) = SegmentReferences(original, at, size);
            offsets[t] = (FirstDecoded(original, t, o[0]) - o[0].Time, Packets(original, t, o[^1]).Max(p => p.Pts + p.Duration) - oEnd);
        }
        foreach ((long offset, long sidxSize, _) in boxes.Where(b => b.Type == "sidx"))
        {
            (int track, List<(long At, long Size, double Time)> refs, double end) = SegmentReferences(rec, offset, sidxSize);
            Assert.Equal(moofs.Order(), refs.Select(x => x.At));
            Assert.Equal(boxes.Last(b => b.Type != "mfra").Offset + boxes.Last(b => b.Type != "mfra").Size, refs[^1].At + refs[^1].Size);
            foreach ((long At, long Size, double Time) r in refs)
            {
                double shows = FirstDecoded(rec, track, r);
                Assert.True(Math.Abs(shows - r.Time - offsets[track].Start) < 0.0001,
                    $"track {track}'s sidx reference at {r.At} begins at {r.Time:0.######} s; its first sample shows at {shows:0.######} s, less {offsets[track].Start:0.######}");
            }
            double ends = Packets(rec, track, refs[^1]).Max(p => p.Pts + p.Duration);
            double less = tailCut ? offsets[track].Start : offsets[track].End;
            Assert.True(Math.Abs(ends - end - less) < 0.0001,
                $"track {track}'s sidx ends at {end:0.######} s; its last sample shown ends at {ends:0.######} s, less {less:0.######}");
        }
    }

    /// <summary>The presentation time of the first sample of <paramref name="track"/> in the
    /// bytes of reference <paramref name="r"/>, as ffprobe shows it.</summary>
    private static double FirstDecoded(string path, int track, (long At, long Size, double Time) r) => Packets(path, track, r).MinBy(p => p.Pos).Pts;

    /// <summary>The packets of <paramref name="track"/> (stream track - 1) whose bytes begin in
    /// reference <paramref name="r"/>: presentation time, duration (0 where ffprobe gives none:
    /// AAC's first packet here) and position.</summary>
    private static List<(double Pts, double Duration, long Pos)> Packets(string path, int track, (long At, long Size, double Time) r)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-select_streams", $"{track - 1}", "-show_entries", "packet=pts_time,duration_time,pos", "-of", "csv=p=0", path);
        Assert.True(code == 0, err);
        List<(double Pts, double Duration, long Pos)> packets = [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(','))
            .Select(f => (double.Parse(f[0], CultureInfo.InvariantCulture), f[1] == "N/A" ? 0 : double.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture)))
            .Where(p => p.Item3 >= r.At && p.Item3 < r.At + r.Size)];
        Assert.True(packets.Count > 0, $"track {track} has no packet in the sidx reference at {r.At} of {path}");
        return packets;
    }

    /// <summary>The top-level boxes, from their headers.</summary>
    internal static List<(long Offset, long Size, string Type)> TopBoxes(string path)
    {
        using FileStream f = File.OpenRead(path);
        byte[] h = new byte[16];
        var boxes = new List<(long, long, string)>();
        for (long at = 0; at + 8 <= f.Length;)
        {
            f.Position = at;
            f.ReadExactly(h, 0, (int)Math.Min(16, f.Length - at));
            long size = BinaryPrimitives.ReadUInt32BigEndian(h);
            size = size == 1 ? (long)BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(8)) : size == 0 ? f.Length - at : size;
            Assert.True(size >= 8, $"a box of {size} bytes at {at} in {path}");
            boxes.Add((at, size, System.Text.Encoding.ASCII.GetString(h, 4, 4)));
            at += size;
        }
        return boxes;
    }

    /// <summary>
    /// Each sample of track <paramref name="trackId"/> in the fragments, as its moofs say,
    /// read here from the bytes (ISO/IEC 14496-12 §8.8.7-8.8.12): its decode time in seconds
    /// (tfdt, then the durations before it in its fragment) and its duration (its trun entry,
    /// or tfhd's default; trex's is not read). The track's timescale is ffprobe's.
    /// </summary>
    internal static List<(double Start, double Duration)> TrackSamples(string path, int trackId)
    {
        string timeBase = Tools.Run("ffprobe", "-v", "error", "-show_entries", "stream=id,time_base", "-of", "csv=p=0", path).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(',')).Single(l => Convert.ToInt32(l[0], 16) == trackId)[1];
        double scale = double.Parse(timeBase.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture);
        var samples = new List<(double, double)>();
        foreach ((long offset, long size, _) in TopBoxes(path).Where(b => b.Type == "moof"))
        {
            byte[] moof = Files.Read(path, offset, size);
            foreach ((int at, int length) in Children(moof, 8, moof.Length).Where(c => Name(moof, c.At) == "traf").Select(c => (c.At, c.Length)))
            {
                List<(int At, int Length)> parts = Children(moof, at + 8, at + length);
                int tfhd = parts.Single(c => Name(moof, c.At) == "tfhd").At;
                uint flags = BinaryPrimitives.ReadUInt32BigEndian(moof.AsSpan(tfhd + 8)) & 0xFFFFFF;
                if (BinaryPrimitives.ReadUInt32BigEndian(moof.AsSpan(tfhd + 12)) != trackId)
                {
                    continue;
                }
                int field = tfhd + 16 + ((flags & 0x1) != 0 ? 8 : 0) + ((flags & 0x2) != 0 ? 4 : 0);
                uint? byDefault = (flags & 0x8) != 0 ? BinaryPrimitives.ReadUInt32BigEndian(moof.AsSpan(field)) : null;
                int tfdt = parts.Single(c => Name(moof, c.At) == "tfdt").At;
                long time = moof[tfdt + 8] == 1 ? (long)BinaryPrimitives.ReadUInt64BigEndian(moof.AsSpan(tfdt + 12)) : BinaryPrimitives.ReadUInt32BigEndian(moof.AsSpan(tfdt + 12));
                foreach ((int trun, _) in parts.Where(c => Name(moof, c.At) == "trun"))
                {
                    uint run = BinaryPrimitives.ReadUInt32BigEndian(moof.AsSpan(trun + 8)) & 0xFFFFFF;
                    int count = (int)BinaryPrimitives.ReadUInt32BigEndian(moof.AsSpan(trun + 12));
                    int entry = trun + 16 + ((run & 0x1) != 0 ? 4 : 0) + ((run & 0x4) != 0 ? 4 : 0);
                    int entrySize = 4 * System.Numerics.BitOperations.PopCount(run & 0xF00);
                    for (int i = 0; i < count; i++)
                    {
                        uint duration = (run & 0x100) != 0 ? BinaryPrimitives.ReadUInt32BigEndian(moof.AsSpan(entry + i * entrySize))
                            : byDefault ?? throw new InvalidDataException($"track {trackId}'s durations are trex's defaults in {path}, which this does not read");
                        samples.Add((time / scale, duration / scale));
                        time += duration;
                    }
                }
            }
        }
        return samples;
    }

    /// <summary>The boxes in <paramref name="b"/> from <paramref name="from"/> to <paramref name="to"/>.</summary>
    private static List<(int At, int Length)> Children(byte[] b, int from, int to)
    {
        var boxes = new List<(int, int)>();
        for (int at = from; at + 8 <= to;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at));
            Assert.True(length >= 8 && at + length <= to, $"a box of {length} bytes at {at}");
            boxes.Add((at, length));
            at += length;
        }
        return boxes;
    }

    private static string Name(byte[] b, int at) => System.Text.Encoding.ASCII.GetString(b, at + 4, 4);

    /// <summary>Every tfra entry's moof offset (ISO/IEC 14496-12 §8.8.10).</summary>
    private static List<long> RandomAccessEntries(string path, (long Offset, long Size, string Type) mfra)
    {
        byte[] b = Files.Read(path, mfra.Offset, mfra.Size);
        Assert.Equal((uint)mfra.Size, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(b.Length - 4)));
        var offsets = new List<long>();
        for (int at = 8; at < b.Length;)
        {
            int size = (int)BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at));
            if (System.Text.Encoding.ASCII.GetString(b, at + 4, 4) == "tfra")
            {
                byte version = b[at + 8];
                uint lengths = BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at + 16));
                int numbers = (int)(((lengths >> 4) & 3) + ((lengths >> 2) & 3) + (lengths & 3) + 3);
                int n = (int)BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at + 20));
                int p = at + 24;
                for (int i = 0; i < n; i++)
                {
                    p += version == 1 ? 8 : 4;
                    offsets.Add(version == 1 ? (long)BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(p)) : BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(p)));
                    p += (version == 1 ? 8 : 4) + numbers;
                }
            }
            at += size;
        }
        return offsets;
    }

    /// <summary>A sidx's track, where each of its references begins, how many bytes it spans
    /// and its earliest presentation time, and where the last one ends, in seconds (§8.16.3).</summary>
    private static (int Track, List<(long At, long Size, double Time)> Refs, double End) SegmentReferences(string path, long offset, long size)
    {
        byte[] b = Files.Read(path, offset, size);
        byte version = b[8];
        int track = (int)BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(12));
        double timescale = BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(16));
        int p = 20;
        long earliest = version == 1 ? (long)BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(p)) : BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(p));
        p += version == 1 ? 8 : 4;
        long first = version == 1 ? (long)BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(p)) : BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(p));
        p += (version == 1 ? 8 : 4) + 2;
        int n = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(p));
        p += 2;
        var refs = new List<(long, long, double)>();
        long at = offset + size + first, time = earliest;
        for (int i = 0; i < n; i++, p += 12)
        {
            long length = BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(p)) & 0x7FFFFFFF;
            refs.Add((at, length, time / timescale));
            at += length;
            time += BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(p + 4));
        }
        return (track, refs, time / timescale);
    }
}
