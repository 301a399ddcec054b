using MovData.Edits;
using MovData.Media.Codecs;

namespace MovData.Media.TransportStream;

/// <summary>
/// Lays a transport stream's snapped cuts out for the edits layer: in each removed range
/// the largest whole number of lcm(packet, block) bytes is collapsed as whole blocks, and
/// the rest of it becomes null packets (PID 0x1FFF), which every demuxer drops; so nothing
/// after a cut is copied and at most about 192 KiB per cut is written (docs/media.md).
/// </summary>
internal static class CutPlanner
{
    /// <summary>How far the scans for a half-cut PES reach from a cut point.</summary>
    private const long ScanLimit = 8L << 20;

    /// <summary>The first piece a scan reads; each next one is twice as long.</summary>
    private const long ScanStep = 16 * 1024;

    /// <summary>Below this, a scan goes on until every stream the PMT lists has been resolved.</summary>
    private const long ScanAtLeast = 1L << 20;

    /// <summary>H.264 pictures before a cut's start whose picture order is counted (more than
    /// any reordering reaches back).</summary>
    internal const int OrderWindow = 32;

    /// <summary>How many pictures past a cut's start may be kept to make its join's picture
    /// order hold: half the largest range of pic_order_cnt_lsb x264 uses (64, two a frame).</summary>
    private const int OrderTries = 32;

    /// <summary>Bytes of a picture read for its slice header (behind its SPS, PPS and SEI).</summary>
    internal const int OrderBytes = 4096;

    /// <summary>
    /// The cuts, each whose kept content resumes on an H.264 keyframe that is not IDR (an
    /// open GOP's I picture, <see cref="MendableResume"/>) moved to start where that
    /// picture's order count comes out above every picture kept before it
    /// (<see cref="VideoCodec.CountsAfterAll"/>): the first picture
    /// of the range, or a later one (the range then keeps its first pictures, at most
    /// <see cref="OrderTries"/>). Otherwise a decoder takes the keyframe for one shown
    /// before those and drops it and what follows it (docs/media.md, "Timestamps at a join").
    /// With <paramref name="keyframesOnly"/> (what is removed is saved, and must start on a
    /// keyframe to play) only keyframes are tried. Where none within reach will do, or the
    /// stream is not read here, the cut stays as snapped.
    /// </summary>
    internal static List<PlannedCut> OrderedJoins(Recording rec, List<PlannedCut> cuts, bool keyframesOnly, CancellationToken cancel) =>
        rec.Codec != VideoCodecKind.H264 ? cuts : [.. cuts.Select(c => c.Head || c.End == rec.End ? c : OrderedJoin(rec, c, keyframesOnly, cancel))];

    private static PlannedCut OrderedJoin(Recording rec, PlannedCut cut, bool keyframesOnly, CancellationToken cancel)
    {
        H264Sets? sets = null;
        if (MendableResume(rec, cut.End, ref sets, cancel) is not { } resume)
        {
            return cut;
        }
        var decoded = new List<H264Order>();
        foreach (AccessUnit u in rec.UnitsBefore(cut.Start, OrderWindow, cancel))
        {
            if (VideoCodec.H264PictureOrder(rec.ReadUnit(u.Offset, OrderBytes).Es, ref sets) is not { } order)
            {
                return cut;
            }
            decoded.Add(order);
        }
        List<AccessUnit> inside = [.. rec.Units(cut.Start, cut.End, cancel: cancel).Take(OrderTries + 1)];
        for (int j = 0; j < inside.Count; j++)
        {
            if ((!keyframesOnly || j == 0 || inside[j].RandomAccess) && VideoCodec.CountsAfterAll(decoded, resume))
            {
                long shown = inside.Skip(j).Min(u => u.Pts ?? long.MaxValue);
                return j == 0 ? cut : cut with { Start = inside[j].Offset, From = new MediaTime(shown, Recording.TicksPerSecond) };
            }
            if (VideoCodec.H264PictureOrder(rec.ReadUnit(inside[j].Offset, OrderBytes).Es, ref sets) is not { } order)
            {
                return cut;
            }
            decoded.Add(order);
        }
        return cut;
    }

    /// <summary>
    /// The picture order of the picture the kept content resumes on at <paramref name="e"/>,
    /// where its join is one <see cref="OrderedJoins"/> and <see cref="Bridge"/> mend: an
    /// H.264 picture that is not IDR and not a B picture (<see cref="H264Order.Bipredicted"/>).
    /// That is an open GOP's I picture, where cuts snap; a recovery point's P picture
    /// (gradual decoding refresh, whose keyframes are P pictures); or the I or P picture an
    /// --exact cut resumes on. The pictures after it that are shown before it are hidden
    /// (<see cref="LeadingPictures"/>), so what follows it counts above it, and only what
    /// was kept before it can come out of order. An IDR starts counting afresh. A B picture
    /// leans on one decoded before it and shown after it, which the cut removed; bridged,
    /// ffmpeg put more frames out of order than without (docs/media.md, "Timestamps at a
    /// join"). Null for those, for another codec, and where the stream is not read here.
    /// </summary>
    private static H264Order? MendableResume(Recording rec, long e, ref H264Sets? sets, CancellationToken cancel)
    {
        if (rec.Codec != VideoCodecKind.H264)
        {
            return null;
        }
        byte[] es = rec.ReadUnit(e, OrderBytes).Es;
        sets ??= VideoCodec.CarriesSequenceSet(es) ? null : SetsOfGop(rec, e, cancel);
        return VideoCodec.H264PictureOrder(es, ref sets) is { Idr: false, Bipredicted: false } resume ? resume : null;
    }

    /// <summary>
    /// The sequence parameter set in front of the keyframe that starts the GOP of the
    /// picture at <paramref name="e"/> (<see cref="GopKeyframe"/>), for a picture that
    /// carries none (an --exact cut's picture in mid-GOP, where encoders that repeat the set
    /// put it only at keyframes): the set a decoder reads that picture with.
    /// </summary>
    private static H264Sets? SetsOfGop(Recording rec, long e, CancellationToken cancel)
    {
        H264Sets? sets = null;
        VideoCodec.H264PictureOrder(GopKeyframe(rec, e, cancel), ref sets);
        return sets;
    }

    /// <summary>The first bytes of the keyframe that starts the GOP of the picture at
    /// <paramref name="e"/>, other than that picture: found by the keyframe search, half a GOP
    /// read back on average; empty where there is none.</summary>
    internal static byte[] GopKeyframe(Recording rec, long e, CancellationToken cancel) =>
        rec.Units(e, rec.End, packetsPerRead: 64, judge: false, cancel: cancel).FirstOrDefault() is { Pts: { } shown }
            && rec.LastKeyframeAtOrBefore(shown, cancel) is { } key && key.Offset != e
            ? rec.ReadUnit(key.Offset, OrderBytes).Es
            : [];

    /// <summary>
    /// Where the kept content resumes at <paramref name="e"/> on an H.264 picture that is
    /// neither IDR nor B (<see cref="MendableResume"/>: an open GOP's I picture; an --exact
    /// cut's I or P picture) and that would count in picture order below pictures kept
    /// before <paramref name="s"/> (a join <see cref="OrderedJoins"/> could not mend: what
    /// is removed is saved and must start on a keyframe, no start within reach did, or the
    /// cut is --exact and keeps its start), the packets of one or two pictures to decode
    /// between them (<see cref="VideoCodec.SkippedPicture"/>): reference pictures whose
    /// counts step up from those kept to below the resuming one's
    /// (<see cref="VideoCodec.BridgeCounts"/>), each a copy of the picture shown last before
    /// the join, shown a frame after it. A decoder then puts the resuming picture out after
    /// all of them, where it would otherwise drop it and put out others with falling
    /// timestamps. Each is one PES in one packet of the video PID (its continuity counter
    /// set later); none where the join needs none or the stream is not read here. The
    /// pictures before the join are those from <paramref name="from"/> (where the content
    /// before the join begins: the piece kept there, or in a file of removed parts the part
    /// before) to <paramref name="s"/>.
    /// </summary>
    private static List<byte[]> Bridge(Recording rec, long from, long s, long e, CancellationToken cancel)
    {
        H264Sets? sets = null;
        if (MendableResume(rec, e, ref sets, cancel) is not { } resume)
        {
            return [];
        }
        List<AccessUnit> before = [.. rec.UnitsBefore(s, OrderWindow, cancel).Where(u => u.Offset >= from)];
        if (before.Count == 0)
        {
            return [];
        }
        var decoded = new List<H264Order>();
        foreach (AccessUnit u in before)
        {
            if (VideoCodec.H264PictureOrder(rec.ReadUnit(u.Offset, OrderBytes).Es, ref sets) is not { } order)
            {
                return [];
            }
            decoded.Add(order);
        }
        if (VideoCodec.CountsAfterAll(decoded, resume) || sets is null
            || VideoCodec.BridgeCounts(decoded, resume) is not { } counts
            || rec.Units(e, rec.End, packetsPerRead: 64, judge: false, cancel: cancel).FirstOrDefault() is not { Pts: { } resumePts } first
            || before.Select(u => u.DecodeTime).LastOrDefault(t => t is not null) is not { } lastDecode)
        {
            return [];
        }
        long lastShown = before.Max(u => u.Pts ?? long.MinValue);
        long frame = rec.FrameTicks;
        if (lastDecode + counts.Count * frame >= (first.DecodeTime ?? resumePts) || lastShown + counts.Count * frame >= resumePts)
        {
            return []; // no room in the timestamps: the range is less than a few frames
        }
        // Each shows the reference picture shown last before the join.
        long?[] pocs = VideoCodec.Counts(decoded);
        int shown = Enumerable.Range(0, decoded.Count).Where(i => decoded[i].Reference && pocs[i] is not null).DefaultIfEmpty(-1).MaxBy(i => i < 0 ? long.MinValue : pocs[i]!.Value);
        int lastReference = decoded.FindLastIndex(p => p.Reference);
        if (shown < 0 || lastReference < 0)
        {
            return [];
        }
        HashSet<int> usedPps = [.. decoded.Select(p => p.PpsId), resume.PpsId];
        int ppsId = Enumerable.Range(0, 256).Reverse().First(id => !usedPps.Contains(id));
        int maxFrameNum = 1 << sets.Log2MaxFrameNum;
        byte streamId = TsPacket.Payload(rec.StoredPacket(e).AsSpan(rec.Grid.Header)) is { Length: > 3 } p ? p[3] : (byte)0xE0;
        var packets = new List<byte[]>();
        for (int k = 0; k < counts.Count; k++)
        {
            int frameNum = (decoded[lastReference].FrameNum + 1 + k) % maxFrameNum;
            byte[]? es = VideoCodec.SkippedPicture(sets, ppsId, frameNum, counts[k], k == 0 ? decoded[shown].FrameNum : null);
            byte[] pes = es is null ? [] : PesPacket(streamId, rec.Absolute(lastShown + (k + 1) * frame), rec.Absolute(lastDecode + (k + 1) * frame), es);
            if (es is null || pes.Length > TsPacket.PacketSize - 5)
            {
                return [];
            }
            packets.Add(TsPacket.PesPacket(rec.CutStream.Pid, pes));
        }
        return packets;
    }

    /// <summary>A PES packet of <paramref name="es"/> with both timestamps.</summary>
    private static byte[] PesPacket(byte streamId, long pts, long dts, byte[] es)
    {
        int length = 3 + 10 + es.Length;
        return [0, 0, 1, streamId, (byte)(length >> 8), (byte)length, 0x80, 0xC0, 10, .. Timestamp(0x30, pts), .. Timestamp(0x10, dts), .. es];

        static byte[] Timestamp(int prefix, long t) =>
            [(byte)(prefix | (int)(t >> 29 & 0x0E) | 1), (byte)(t >> 22), (byte)((t >> 14 & 0xFE) | 1), (byte)(t >> 7), (byte)((t << 1 & 0xFE) | 1)];
    }

    /// <summary>The layout of <paramref name="cuts"/> on a filesystem of block size
    /// <paramref name="blockSize"/>, with the removed parts going to <paramref name="saveTo"/> if given.</summary>
    internal static CutLayout Layout(Recording rec, List<PlannedCut> cuts, long blockSize, string? saveTo, CancellationToken cancel)
    {
        PacketGrid grid = rec.Grid;
        long unit = Blocks.Lcm(grid.Size, blockSize);
        var removals = new List<BlockRemoval>();
        var writes = new List<Patch>(); // at offsets of the file as it is now; moved below
        var saved = saveTo is null ? null : new SavedParts(rec, blockSize);
        for (int i = 0; i < cuts.Count; i++)
        {
            PlannedCut cut = cuts[i];
            long s = cut.Start, e = cut.End;
            long before = i > 0 ? cuts[i - 1].End : grid.Start;
            long after = i + 1 < cuts.Count ? cuts[i + 1].Start : rec.End;
            Halves halves = HalfCut(rec, s, e, before, after, saved is not null, cancel);
            writes.AddRange(halves.Kept);
            saved?.Add(cut, halves, cancel);
            if (e == rec.End)
            {
                removals.Add(new BlockRemoval(s, 0, ToEnd: true));
                continue;
            }
            List<(long From, long To)> hidden = [];
            if (!rec.IsRadio) // every audio frame stands on its own: nothing to mark
            {
                UnitBytes first = FirstBytes(rec, e);
                writes.AddRange(BrokenLink(first, rec.Codec, at => at));
                (hidden, long looked) = LeadingUnits(rec, e, first, after, cancel);
                writes.AddRange(LeadingPictures(rec, hidden, looked, cancel).Select(x => PacketAt(rec, x.Offset, x.Packet)));
            }
            // Collapse whole units from the first block boundary in the range; the rest, R
            // bytes, becomes null packets, and at its end the packets a join inserts: at a
            // head, the program tables, so that a demuxer knows its stream; elsewhere, for
            // each PID whose first kept packet the scan after e met, a mark that its
            // continuity counter jumps (Inserted). After the collapse those R bytes lie together at s, just before e.
            (long c, long length) = Blocks.WholeUnitsIn(s, e, blockSize, unit);
            long rest = e - s - length;
            List<byte[]> inserted = cut.Head ? [.. rec.Tables.TablePackets] : Marks(halves.KeptFrom);
            List<byte[]> bridge = [];
            if (!cut.Head && inserted.FindIndex(m => TsPacket.Pid(m) == rec.CutStream.Pid) is var video and >= 0)
            {
                // Pictures that bridge the join's picture order go just after the video's
                // mark, so that their counter runs on from it into the kept keyframe's.
                bridge = Bridge(rec, before, s, e, cancel);
                inserted.InsertRange(video + 1, bridge);
            }
            while (rest < inserted.Count * grid.Size && length >= unit)
            {
                length -= unit;
                rest += unit;
            }
            inserted = [.. inserted.Take((int)Math.Min(inserted.Count, rest / grid.Size))];
            if (!cut.Head && !rec.IsRadio)
            {
                writes.AddRange(JoinReleases.Patches(rec, (before, s), e, bridge.Count(inserted.Contains), hidden, after, cancel));
            }
            byte[] header = M2tsHeader(rec, cut.Head ? e : s - grid.Size);
            long nulls = rest - inserted.Count * grid.Size;
            if (nulls > 0)
            {
                writes.Add(new Patch(s, nulls, [.. header, .. TsPacket.NullPacket()]));
            }
            if (inserted.Count > 0)
            {
                writes.Add(new Patch(s + nulls, inserted.Count * grid.Size, Inserted(header, inserted, halves.KeptFrom)));
            }
            removals.Add(new BlockRemoval(c, length, ToEnd: false));
        }
        // Every write lands in the file after all the removals (a fill starts at its range's
        // start, before its own collapse, so only the collapses before it move it).
        return new CutLayout(removals, Blocks.AfterRemovals(writes, removals), saved?.Output(saveTo!));
    }

    /// <summary>The removed parts laid out in a new file: each behind null packets and the
    /// program tables, placed so that its bytes sit where they sat in their blocks (then its
    /// whole blocks move as extents), the PES fragments at its edges nulled.</summary>
    private sealed class SavedParts(Recording rec, long bs)
    {
        private readonly List<Patch> _writes = [];
        private readonly List<(long Start, long At, long Length)> _parts = [];

        // The output starts on the same packet grid phase as the recording (its first bytes a
        // hole where the recording has a partial packet), so that a part's packets can sit
        // where they sat in their blocks, and its whole blocks move as extents.
        private long _cursor = rec.Grid.Start % rec.Grid.Size;

        internal void Add(PlannedCut cut, Halves halves, CancellationToken cancel)
        {
            PacketGrid grid = rec.Grid;
            // In front of the part: null packets up to where its bytes sit as they sat in
            // their blocks, then, after a part before it, a mark for each PID whose counter
            // jumps from that part's packets into this one's, and the program tables.
            List<byte[]> inserted = [.. _parts.Count > 0 ? Marks(halves.PartFrom) : [], .. rec.Tables.TablePackets];
            // After a part, pictures that bridge the picture order from its last pictures to
            // this part's first go just after the video's mark, as at a join of the cut file.
            List<byte[]> bridge = [];
            if (_parts.Count > 0 && !cut.Head && inserted.FindIndex(m => TsPacket.Pid(m) == rec.CutStream.Pid) is var video and >= 0)
            {
                bridge = Bridge(rec, _parts[^1].Start, _parts[^1].Start + _parts[^1].Length, cut.Start, cancel);
                inserted.InsertRange(video + 1, bridge);
            }
            long at = _cursor + inserted.Count * grid.Size;
            for (long j = 0; j < bs; j++)
            {
                long o = _cursor + (inserted.Count + j) * grid.Size;
                if (o % bs == cut.Start % bs)
                {
                    at = o;
                    break;
                }
            }
            cancel.ThrowIfCancellationRequested();
            byte[] header = M2tsHeader(rec, cut.Start);
            long nulls = at - inserted.Count * grid.Size - _cursor;
            if (nulls > 0)
            {
                _writes.Add(new Patch(_cursor, nulls, [.. header, .. TsPacket.NullPacket()]));
            }
            _writes.Add(new Patch(at - inserted.Count * grid.Size, inserted.Count * grid.Size, Inserted(header, inserted, halves.PartFrom)));
            _parts.Add((cut.Start, at, cut.End - cut.Start));
            long shift = at - cut.Start;
            _writes.AddRange(halves.Removed.Select(x => NullAt(rec, x + shift)));
            if (!cut.Head)
            {
                UnitBytes first = FirstBytes(rec, cut.Start);
                _writes.AddRange(BrokenLink(first, rec.Codec, x => x + shift));
                (List<(long From, long To)> hidden, long looked) = LeadingUnits(rec, cut.Start, first, cut.End, cancel);
                _writes.AddRange(LeadingPictures(rec, hidden, looked, cancel).Select(x => PacketAt(rec, x.Offset + shift, x.Packet)));
                if (!rec.IsRadio)
                {
                    // What a decoder holds here is what the part before this one left.
                    (long, long)? before = _parts.Count > 1 ? (_parts[^2].Start, _parts[^2].Start + _parts[^2].Length) : null;
                    _writes.AddRange(JoinReleases.Patches(rec, before, cut.Start, bridge.Count, hidden, cut.End, cancel).Select(x => x with { Offset = x.Offset + shift }));
                }
            }
            _cursor = at + cut.End - cut.Start;
        }

        internal RemovedOutput Output(string path) => new(path, _cursor, _parts, _writes);
    }

    /// <summary>What a cut must hide because it splits a PES or section: writes in the kept
    /// file (<see cref="Kept"/>: null packets, and stuffing over a split section's first
    /// bytes) and packets to null in the removed part (<see cref="Removed"/>); and, PID by
    /// PID, the first packet kept after the join (<see cref="KeptFrom"/>) and the first the
    /// removed part keeps (<see cref="PartFrom"/>), where each PID's count resumes.</summary>
    private sealed record Halves(List<Patch> Kept, List<long> Removed, Dictionary<int, PidPacket> KeptFrom, Dictionary<int, PidPacket> PartFrom);

    /// <summary>
    /// For every PID (the elementary streams, and the tables whether the PMT lists them or
    /// not: PAT, PMT, SDT, EIT, SCTE-35), the PES or section a cut [s, e) splits: the head of
    /// the one in progress at s (its packets before s) if it goes on after s, and the rest of
    /// the one in progress at e (its packets after e until the PID's next payload_unit_start).
    /// A demuxer would hand a decoder such a truncated PES whole, or join a section's head to
    /// another's tail; as null packets it never sees them. The packet a split section starts
    /// in may first end an earlier, whole section: there only the split section's bytes
    /// become 0xFF stuffing (<see cref="ScrubHead"/>). The split section's last bytes, before
    /// the pointer_field of the PID's first packet after e, stay: a demuxer adds such bytes
    /// only to a section in progress, and the cut leaves none in progress. With
    /// <paramref name="removedToo"/>, the same for the removed part's own edges (whole
    /// packets nulled there).
    /// </summary>
    private static Halves HalfCut(Recording rec, long s, long e, long before, long after, bool removedToo, CancellationToken cancel)
    {
        var kept = new List<Patch>();
        var removed = new List<long>();
        // The scans read no further for the continuity marks than they read for this: each
        // forward scan finds, for every PID it meets, where its count resumes, so every PES
        // stream the PMT lists is marked, and every table whose next section starts within
        // them (docs/media.md, step 7, says which are left and why).
        HashSet<int> listed = rec.Tables.ElementaryPids();
        Dictionary<int, Run> toS = Backward(rec, before, s, listed, cancel);
        Dictionary<int, Run> fromS = Forward(rec, s, e, listed, cancel);
        Dictionary<int, Run> fromE = e < rec.End ? Forward(rec, e, after, listed, cancel) : [];
        Dictionary<int, Run> toE = removedToo ? Backward(rec, s, e, listed, cancel) : [];
        foreach (int pid in fromS.Keys.Union(fromE.Keys).Union(toS.Keys).Union(toE.Keys))
        {
            Run? atS = fromS.GetValueOrDefault(pid);
            Run? atE = fromE.GetValueOrDefault(pid);
            // Does the PES or section in progress at s go on after s? Its next packet tells (in
            // the removed range, or if the PID has none there, after it).
            bool goesOnAtS = atS is not null ? atS.Continues : atE is not null && atE.Continues;
            bool goesOnAtE = atE is not null && atE.Continues;
            if (goesOnAtS && toS.TryGetValue(pid, out Run? head))
            {
                kept.AddRange(ScrubHead(rec, head));
            }
            if (goesOnAtE)
            {
                kept.AddRange(atE!.Packets.Select(x => NullAt(rec, x)));
            }
            if (removedToo)
            {
                if (atS is { Continues: true })
                {
                    removed.AddRange(atS.Packets);
                }
                if (goesOnAtE && toE.TryGetValue(pid, out Run? tail))
                {
                    removed.AddRange(tail.Packets);
                }
            }
        }
        // A packet both scrubbed and nulled (the runs of two joins can meet) is nulled.
        List<Patch> writes = [.. kept.GroupBy(w => rec.Grid.Floor(w.Offset)).Select(g => g.MaxBy(w => w.Length)!).OrderBy(w => w.Offset)];
        return new Halves(writes, [.. removed.Distinct().Order()], Resumes(fromE), Resumes(fromS));
    }

    private static Dictionary<int, PidPacket> Resumes(Dictionary<int, Run> runs) =>
        runs.Where(kv => kv.Value.Resume is not null).ToDictionary(kv => kv.Key, kv => kv.Value.Resume!.Value);

    /// <summary>One discontinuity mark for each PID in <paramref name="resumes"/> (its counter
    /// set by <see cref="Inserted"/>).</summary>
    private static List<byte[]> Marks(Dictionary<int, PidPacket> resumes) =>
        [.. resumes.Keys.Order().Select(pid => TsPacket.DiscontinuityPacket(pid, 0))];

    /// <summary>
    /// The packets a join inserts just before the first packets it keeps (discontinuity marks,
    /// program tables), each behind <paramref name="header"/>, their continuity counters
    /// counted back PID by PID from the first packet kept after them
    /// (<paramref name="resumes"/>), so that the count runs on from them into the kept
    /// packets; a mark's own discontinuity_indicator excuses the jump before it. A demuxer
    /// then sees no packet lost (ffmpeg reports "Continuity check failed" and flags the PES
    /// it is assembling as corrupt where it does).
    /// </summary>
    private static byte[] Inserted(byte[] header, List<byte[]> packets, Dictionary<int, PidPacket> resumes)
    {
        var next = resumes.ToDictionary(kv => kv.Key, kv => kv.Value.CounterBefore);
        var counted = new byte[packets.Count][];
        for (int i = packets.Count - 1; i >= 0; i--)
        {
            int pid = TsPacket.Pid(packets[i]);
            if (next.TryGetValue(pid, out int counter))
            {
                counted[i] = TsPacket.WithContinuityCounter(packets[i], counter);
                next[pid] = TsPacket.HasPayload(packets[i]) ? (counter + 15) % 16 : counter;
            }
            else
            {
                counted[i] = packets[i];
            }
        }
        return [.. counted.SelectMany(p => header.Concat(p))];
    }

    /// <summary>A PID's packets next to a cut point: forward, the continuation packets before
    /// its first payload_unit_start (<see cref="Continues"/>: there were some, or that packet
    /// first ends a section begun before it) and that packet (<see cref="Resume"/>, null if the
    /// scan met none); backward, the packets from its last payload_unit_start up to the
    /// point, the one it is in last, and whether a section (<see cref="Section"/>) rather than
    /// a PES starts there.</summary>
    private sealed record Run(List<long> Packets, bool Continues, bool Section)
    {
        internal PidPacket? Resume { get; set; }
    }

    /// <summary>Whether a scan that has read <paramref name="read"/> bytes may stop: every PID
    /// it met is resolved, and it has read <see cref="ScanAtLeast"/> (sparse PIDs, a table
    /// every few seconds, have had their chance) or resolved every stream the PMT lists; or
    /// it has read <see cref="ScanLimit"/>.</summary>
    private static bool ScanDone(long read, IEnumerable<int> met, HashSet<int> resolved, HashSet<int> listed) =>
        read >= ScanLimit || (met.All(resolved.Contains) && (read >= ScanAtLeast || listed.IsSubsetOf(resolved)));

    private static Dictionary<int, Run> Forward(Recording rec, long from, long to, HashSet<int> listed, CancellationToken cancel)
    {
        var runs = new Dictionary<int, Run>();
        var resolved = new HashSet<int>();
        for (long at = from, end, step = ScanStep; at < to; at = end, step = Math.Min(step * 2, ScanAtLeast))
        {
            // Pieces end on the packet grid, so that no packet falls between two of them.
            end = Math.Min(to, rec.Grid.Ceiling(at + step));
            foreach (PidPacket p in rec.StreamPackets(at, end, null, cancel))
            {
                if (resolved.Contains(p.Pid))
                {
                    continue;
                }
                Run run = runs.TryGetValue(p.Pid, out Run? r) ? r : runs[p.Pid] = new Run([], !p.Start || p.EndsEarlier, p.Section);
                if (p.Start)
                {
                    resolved.Add(p.Pid);
                    run.Resume = p;
                }
                else
                {
                    run.Packets.Add(p.Offset);
                }
            }
            if (ScanDone(end - from, runs.Keys, resolved, listed))
            {
                break;
            }
        }
        return runs;
    }

    private static Dictionary<int, Run> Backward(Recording rec, long bound, long to, HashSet<int> listed, CancellationToken cancel)
    {
        var packets = new Dictionary<int, List<long>>();
        var sections = new HashSet<int>();
        var resolved = new HashSet<int>();
        long reach = ScanStep;
        for (long end = to; end > bound; reach = Math.Min(reach * 2, ScanAtLeast))
        {
            long start = rec.Grid.Floor(Math.Max(bound, end - reach));
            foreach (PidPacket p in Enumerable.Reverse(rec.StreamPackets(start, end, null, cancel)))
            {
                if (resolved.Contains(p.Pid))
                {
                    continue;
                }
                (packets.TryGetValue(p.Pid, out List<long>? list) ? list : packets[p.Pid] = []).Add(p.Offset);
                if (p.Start)
                {
                    resolved.Add(p.Pid);
                    if (p.Section)
                    {
                        sections.Add(p.Pid);
                    }
                }
            }
            if (ScanDone(to - start, packets.Keys, resolved, listed) || start == end)
            {
                break;
            }
            end = start;
        }
        return packets.ToDictionary(kv => kv.Key, kv => new Run(kv.Value, true, sections.Contains(kv.Key)));
    }

    /// <summary>The writes that hide the head of a split PES or section: null packets, except
    /// that in the packet a section starts in (the run's last, see <see cref="Run"/>), whose
    /// first bytes may end an earlier, whole section, only the split section becomes 0xFF
    /// stuffing: a demuxer reads 0xFF where a table_id is due as the end of the packet's sections.</summary>
    private static IEnumerable<Patch> ScrubHead(Recording rec, Run head)
    {
        for (int i = 0; i < head.Packets.Count; i++)
        {
            if (i < head.Packets.Count - 1 || !head.Section)
            {
                yield return NullAt(rec, head.Packets[i]);
            }
            else if (StuffingOver(rec, head.Packets[i]) is { } stuffing)
            {
                yield return stuffing;
            }
        }
    }

    /// <summary>0xFF over the section that the packet at <paramref name="offset"/> leaves in
    /// progress, from its start to the packet's end; null if it leaves none.</summary>
    private static Patch? StuffingOver(Recording rec, long offset)
    {
        ReadOnlySpan<byte> p = rec.StoredPacket(offset).AsSpan(rec.Grid.Header, TsPacket.PacketSize);
        int at = TsPacket.UnfinishedSection(p);
        if (at < 0)
        {
            return null;
        }
        int from = TsPacket.PayloadStart(p) + at;
        return new Patch(offset + rec.Grid.Header + from, TsPacket.PacketSize - from, [0xFF]);
    }

    /// <summary>A null packet over the packet at <paramref name="offset"/> (an M2TS packet keeps
    /// its TP_extra_header: its arrival time still counts).</summary>
    private static Patch NullAt(Recording rec, long offset) => PacketAt(rec, offset, TsPacket.NullPacket());

    /// <summary><paramref name="packet"/> (188 bytes) over the packet at <paramref name="offset"/>, behind its TP_extra_header in M2TS.</summary>
    private static Patch PacketAt(Recording rec, long offset, byte[] packet) => new(offset + rec.Grid.Header, TsPacket.PacketSize, packet);

    /// <summary>The first bytes of the keyframe at <paramref name="unit"/>, read once for
    /// its broken-link marks and its leading pictures.</summary>
    private static UnitBytes FirstBytes(Recording rec, long unit) =>
        // An HEVC picture's slices (each a CRA NAL to mark) run through its whole PES; the
        // other codecs' marks are in the headers before the first slice.
        rec.ReadUnit(unit, rec.Codec == VideoCodecKind.Hevc ? 1 << 20 : 16 * 1024);

    /// <summary>The marks that make the unit whose first bytes are <paramref name="bytes"/> a
    /// broken link, at the offsets <paramref name="place"/> gives.</summary>
    private static IEnumerable<Patch> BrokenLink(UnitBytes bytes, VideoCodecKind codec, Func<long, long> place) =>
        VideoCodec.BrokenLinkMarks(codec, bytes.Es).Select(m => new Patch(place(bytes.FileOffsetOf(m.Index)), 1, [m.Value]));

    /// <summary>How many pictures after a keyframe are looked at for leading ones (more
    /// than any encoder's B-frame run).</summary>
    private const int LeadingLimit = 16;

    /// <summary>The pictures <see cref="LeadingPictures"/> hides, each from its PES's first
    /// packet to the next picture's, and where the first picture after the last one looked at
    /// starts.</summary>
    internal static (List<(long From, long To)> Leading, long Next) LeadingUnits(Recording rec, long unit, UnitBytes first, long limit, CancellationToken cancel)
    {
        if (!VideoCodec.LeadingPicturesNeedDropping(rec.Codec, first.Es))
        {
            return ([], unit);
        }
        List<AccessUnit> units = [.. rec.Units(unit, limit, cancel: cancel).Take(LeadingLimit + 2)];
        if (units.Count < 2 || units[0].Pts is not { } shown)
        {
            return ([], unit);
        }
        var leading = new List<(long From, long To)>();
        int i = 1;
        for (; i + 1 < units.Count && !units[i].RandomAccess; i++)
        {
            if (units[i].Pts < shown)
            {
                leading.Add((units[i].Offset, units[i + 1].Offset));
            }
        }
        return (leading, units[i].Offset);
    }

    /// <summary>
    /// The video packets of the pictures that follow a keyframe in decode order but are shown
    /// before it, where the codec has no mark that makes a decoder drop them (the
    /// <paramref name="leading"/> units <see cref="LeadingUnits"/> found, up to
    /// <paramref name="looked"/>, the unit after the last it looked at): after a cut
    /// they refer to pictures that are gone, so they are hidden with it, each as the packet to
    /// write over it: a null packet, but the first of each run of them a discontinuity mark
    /// (<see cref="TsPacket.DiscontinuityPacket"/>), counted so that the video's continuity
    /// counter runs on from it into the next packet kept.
    /// </summary>
    private static List<(long Offset, byte[] Packet)> LeadingPictures(Recording rec, List<(long From, long To)> leading, long looked, CancellationToken cancel)
    {
        if (leading.Count == 0)
        {
            return [];
        }
        // The video's packets from the first leading picture to the first packet of the unit
        // after the last one looked at, which is kept.
        List<PidPacket> packets = rec.StreamPackets(leading[0].From, Math.Min(rec.End, looked + rec.Grid.Size), [rec.CutStream.Pid], cancel);
        var hidden = new List<(long, byte[])>();
        for (int k = 0; k < packets.Count; k++)
        {
            if (!leading.Any(r => packets[k].Offset >= r.From && packets[k].Offset < r.To))
            {
                continue;
            }
            bool runStarts = k == 0 || hidden.Count == 0 || hidden[^1].Item1 != packets[k - 1].Offset;
            int next = packets.FindIndex(k, q => !leading.Any(r => q.Offset >= r.From && q.Offset < r.To));
            hidden.Add((packets[k].Offset, runStarts && next >= 0 ? TsPacket.DiscontinuityPacket(rec.CutStream.Pid, packets[next].CounterBefore) : TsPacket.NullPacket()));
        }
        return hidden;
    }

    /// <summary>The TP_extra_header to give inserted packets (empty for MPEG-TS): that of a
    /// neighbouring kept packet, so arrival times carry on.</summary>
    private static byte[] M2tsHeader(Recording rec, long neighbour) =>
        rec.Grid.Header == 0 ? [] : rec.StoredPacket(Math.Max(rec.Grid.Start, neighbour))[..rec.Grid.Header];

}
