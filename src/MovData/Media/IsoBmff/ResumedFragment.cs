using System.Buffers.Binary;
using static MovData.Media.IsoBmff.FragmentFlags;

namespace MovData.Media.IsoBmff;

/// <summary>
/// The fragment a fragmented MP4's video resumes on after a join, its moof rewritten to leave
/// out the pictures decoded after the keyframe there but shown before it: an open GOP's
/// leading pictures, whose references the cut removed (a cut of a whole movie drops them from
/// its tables: <see cref="MovieCut.VideoRemoved"/>). The video's track runs (trun) are split
/// into runs of the samples kept, each with its own data offset, so the leading pictures'
/// bytes stay in mdat, referenced by nothing; the sample before each left-out run takes its
/// decode duration, so every later sample keeps its decode and presentation times. The moof
/// then changes size, and it and the boxes before it in the fragment (styp, prft, emsg) move
/// so that it still ends where its mdat begins: into the free box the join left before them,
/// or leaving that box larger. Nothing else moves, and no byte of media is written.
/// </summary>
internal static class ResumedFragment
{
    /// <summary>The video samples of <paramref name="video"/> (a track fragment whose first
    /// sample is the keyframe the video resumes on) shown before that keyframe; empty where
    /// none is.</summary>
    internal static HashSet<int> Leading(SampleList s, TrackFragment video)
    {
        var leading = new HashSet<int>();
        int first = video.FirstSample;
        for (int i = first + 1; i < first + video.SampleCount; i++)
        {
            if (s.Pts(i) < s.Pts(first))
            {
                leading.Add(i);
            }
        }
        return leading;
    }

    /// <summary>
    /// <paramref name="head"/> (a fragment's bytes from its start to the end of its moof,
    /// which begins at <paramref name="moofAt"/> in it, as the cut leaves them but for this)
    /// rewritten without the video samples <paramref name="leaving"/> (numbers in the track's
    /// list <paramref name="s"/>; <paramref name="video"/> is its track fragment), and how far
    /// it moves (its new start less its old: as far as the moof shrank). Null where it cannot
    /// be so: a video traf with a box besides tfhd, tfdt and trun (sdtp, sbgp, subs, saiz,
    /// senc: it lists samples and would be left stale), a traf whose data is found from the
    /// end of the one before, a data offset out of range, or a move that the
    /// <paramref name="free"/> bytes of free box before the fragment cannot take (a box has at
    /// least its 8-byte header). Also a traf with an saio, whose offsets count from the moof
    /// or base and would be left pointing at the wrong bytes. <c>Numbers</c> says where the
    /// video's samples now are by trun and sample number (for the mfra's entries).
    /// </summary>
    internal static (byte[] Head, int Moved, RunNumbers Numbers)? Rewrite(byte[] head, int moofAt, TrackFragment video, SampleList s, IReadOnlySet<int> leaving, long free, string path)
    {
        Box moof = Boxes.Header(head.AsSpan(moofAt), moofAt, head.Length, out string? problem) is { } m && problem is null && m.End == head.Length
            ? m : throw new InvalidDataException($"{path}: the moof is not where its fragment was read");
        List<Box> children = Boxes.Children(head, moof, path);
        var trafs = children.Where(b => b.Name == "traf").ToList();
        Box? videoTraf = null;
        var moofBased = new HashSet<long>(); // trafs whose data offsets count from the moof's start
        for (int t = 0; t < trafs.Count; t++)
        {
            List<Box> parts = Boxes.Children(head, trafs[t], $"{path}/traf");
            var h = new FieldReader(head, parts.FirstOrDefault(b => b.Name == "tfhd"), $"{path}/traf/tfhd");
            (_, uint flags) = h.FullBox();
            int id = (int)h.U32();
            if (parts.Any(b => b.Name == "saio"))
            {
                return null;
            }
            if ((flags & BaseDataOffset) == 0)
            {
                if ((flags & BaseIsMoof) == 0 && t > 0)
                {
                    return null;
                }
                moofBased.Add(trafs[t].Offset);
            }
            if (id == video.TrackId)
            {
                if (videoTraf is not null || parts.Any(b => b.Name is not ("tfhd" or "tfdt" or "trun")))
                {
                    return null;
                }
                videoTraf = trafs[t];
            }
        }
        if (videoTraf is not { } vt)
        {
            return null;
        }

        if (Runs(head, vt, video, s, leaving, path) is not ({ } runs, { } numbers))
        {
            return null;
        }
        int trafSize = 8 + Boxes.Children(head, vt, path).Where(b => b.Name != "trun").Sum(b => (int)b.Size) + runs.Sum(r => r.Size);
        int moved = (int)(moof.Size - (8 + children.Where(b => b.Offset != vt.Offset).Sum(b => b.Size) + trafSize));
        if (free + moved is > 0 and < 8 || free + moved < 0)
        {
            return null;
        }

        var w = new BoxWriter((int)moof.Size + 256);
        w.Bytes(head.AsSpan(0, moofAt)); // styp, prft, emsg: as they were
        int moofBox = w.Begin(FourCc.Moof);
        foreach (Box child in children)
        {
            if (child.Offset == vt.Offset)
            {
                int traf = w.Begin(child.Type);
                foreach (Box part in Boxes.Children(head, vt, path).Where(b => b.Name != "trun"))
                {
                    w.Copy(head, part);
                }
                foreach (Run run in runs)
                {
                    if (!run.Write(w, moofBased.Contains(vt.Offset) ? -moved : 0))
                    {
                        return null;
                    }
                }
                w.End(traf);
            }
            else if (child.Name == "traf" && moofBased.Contains(child.Offset) && moved != 0)
            {
                if (!CopyMovingOffsets(w, head, child, -moved, path))
                {
                    return null;
                }
            }
            else
            {
                w.Copy(head, child);
            }
        }
        w.End(moofBox);
        return (w.ToArray(), moved, numbers);
    }

    /// <summary>The runs the video's samples are written in: each original run's kept
    /// samples, split where a left-out one was; and where each sample went.</summary>
    private static (List<Run>, RunNumbers)? Runs(byte[] head, Box traf, TrackFragment video, SampleList s, IReadOnlySet<int> leaving, string path)
    {
        var runs = new List<Run>();
        var firsts = new List<int>(); // each original run's first sample, by its place in the traf
        var now = new (int Run, int Sample)[video.SampleCount];
        int sample = video.FirstSample;
        long at = 0; // where the next sample's data lies, from the traf's base
        foreach (Box trun in Boxes.Children(head, traf, path).Where(b => b.Name == "trun"))
        {
            var r = new FieldReader(head, trun, $"{path}/traf/trun");
            (byte version, uint flags) = r.FullBox();
            int entry = EntrySize(flags);
            int count = r.Count(entry);
            at = (flags & RunDataOffset) != 0 ? r.I32() : at;
            uint? firstFlags = (flags & RunFirstFlags) != 0 ? r.U32() : null;
            firsts.Add(sample - video.FirstSample);
            Run? run = null; // the run being filled; null after a sample left out
            for (int i = 0; i < count; i++, sample++)
            {
                byte[] fields = r.Take(entry).ToArray();
                if (leaving.Contains(sample))
                {
                    if (runs.Count == 0)
                    {
                        return null; // the keyframe itself left out: not a join this mends
                    }
                    runs[^1].Absorb(s.Duration(sample));
                    run = null;
                }
                else
                {
                    if (run is null)
                    {
                        run = new Run(version, flags & ~RunFirstFlags, at, i == 0 ? firstFlags : null);
                        runs.Add(run);
                    }
                    run.Add(fields, s.Duration(sample));
                    now[sample - video.FirstSample] = (runs.Count, run.Count);
                }
                at += s.Size(sample);
            }
        }
        return (runs, new RunNumbers([.. firsts], now));
    }

    /// <summary>Another traf of the moof, its runs' data offsets moved by <paramref name="by"/>
    /// (they count from the moof's start, which moves); false where a run has none.</summary>
    private static bool CopyMovingOffsets(BoxWriter w, byte[] head, Box traf, int by, string path)
    {
        var runs = Boxes.Children(head, traf, path).Where(b => b.Name == "trun").ToList();
        if (runs.Any(b => (BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan((int)b.PayloadOffset)) & RunDataOffset) == 0))
        {
            return false;
        }
        byte[] copy = head.AsSpan((int)traf.Offset, (int)traf.Size).ToArray();
        foreach (Box trun in runs)
        {
            int field = (int)(trun.PayloadOffset - traf.Offset) + 8; // after version, flags and sample_count
            long value = (long)BinaryPrimitives.ReadInt32BigEndian(copy.AsSpan(field)) + by;
            if (value is < int.MinValue or > int.MaxValue)
            {
                return false;
            }
            BinaryPrimitives.WriteInt32BigEndian(copy.AsSpan(field), (int)value);
        }
        w.Bytes(copy);
        return true;
    }

    /// <summary>One run of kept samples as a trun will hold it.</summary>
    private sealed class Run(byte version, uint flags, long dataOffset, uint? firstFlags)
    {
        private readonly List<(byte[] Fields, uint Duration)> _samples = [];
        private bool _durations = (flags & RunDurations) != 0;

        internal int Size => 8 + 4 + 4 + 4 + (firstFlags is null ? 0 : 4)
            + _samples.Sum(e => e.Fields.Length + (_durations && (flags & RunDurations) == 0 ? 4 : 0));

        internal int Count => _samples.Count;

        internal void Add(byte[] fields, uint duration) => _samples.Add((fields, duration));

        /// <summary>The last sample takes the decode duration of one left out after it.</summary>
        internal void Absorb(uint duration)
        {
            (byte[] fields, uint d) = _samples[^1];
            _samples[^1] = (fields, d + duration);
            _durations = true;
        }

        /// <summary>Writes the trun, its data offset moved by <paramref name="by"/>; false where it no longer fits its field.</summary>
        internal bool Write(BoxWriter w, int by)
        {
            long offset = dataOffset + by;
            if (offset is < int.MinValue or > int.MaxValue)
            {
                return false;
            }
            uint f = flags | RunDataOffset | (firstFlags is null ? 0 : RunFirstFlags) | (_durations ? RunDurations : 0);
            int box = w.FullBox(FourCc.Of("trun"), version, f);
            w.U32((uint)_samples.Count);
            w.U32((uint)(int)offset);
            if (firstFlags is { } ff)
            {
                w.U32(ff);
            }
            foreach ((byte[] fields, uint duration) in _samples)
            {
                if (_durations)
                {
                    w.U32(duration);
                }
                w.Bytes((flags & RunDurations) != 0 ? fields.AsSpan(4) : fields);
            }
            w.End(box);
            return true;
        }
    }
}

/// <summary>Where the samples of a track fragment that <see cref="ResumedFragment"/> rewrote
/// are now, by the numbers an mfra's entries give them (1-based).</summary>
/// <param name="firsts">Each run's first sample before, by its place in the traf (0-based).</param>
/// <param name="now">Each sample's run and number in it now, by its place before; (0, 0) for one left out.</param>
internal sealed class RunNumbers(int[] firsts, (int Run, int Sample)[] now)
{
    /// <summary>The run and sample number now of what was sample <paramref name="sample"/> of
    /// run <paramref name="run"/>; null where it was left out or there was no such sample.</summary>
    internal (int Run, int Sample)? Now(long run, long sample)
    {
        if (run < 1 || run > firsts.Length || sample < 1)
        {
            return null;
        }
        long at = firsts[run - 1] + sample - 1;
        return at < now.Length && now[at] is { Run: > 0 } found ? found : null;
    }
}
