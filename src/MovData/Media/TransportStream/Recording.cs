using Microsoft.Win32.SafeHandles;
using MovData.Media.Codecs;

namespace MovData.Media.TransportStream;

/// <summary>One access unit of the cut stream as the file holds it (a video picture, or in
/// radio an audio PES): where its PES starts (the packet with payload_unit_start), its
/// timestamps relative to the recording's time 0 (90 kHz ticks; null where the PES header
/// has none), and whether a decoder can start there.</summary>
internal readonly record struct AccessUnit(long Offset, long? Pts, long? Dts, bool RandomAccess)
{
    /// <summary>Decode order time: DTS where present, else PTS (they are then equal).</summary>
    internal long? DecodeTime => Dts ?? Pts;
}

/// <summary>
/// A transport-stream recording opened for reading: its packet grid, program tables, the
/// stream cuts are made on (its video, or in radio its first audio stream) and timeline. Everything but <see cref="CountKeyframes"/> reads only the head, the
/// tail and the neighbourhood of the times asked for (found by a binary search over the
/// timestamps), so its cost does not grow with the recording; every read goes through a
/// bounded buffer.
/// </summary>
internal sealed partial class Recording
{
    internal const long TicksPerSecond = 90_000;
    private const long Wrap = 1L << 33;

    /// <summary>How far a timestamp may lie before time 0 (a DTS before the first PTS) and
    /// still count as early rather than as 26.5 hours late.</summary>
    private const long Early = 600 * TicksPerSecond;

    /// <summary>How far a frame's presentation may come after its decoding (B-frame
    /// reordering): a second is more than any broadcast GOP structure uses.</summary>
    private const long Reorder = TicksPerSecond;

    /// <summary>How far from the end the last timestamps are looked for.</summary>
    private const long TailLimit = 64L << 20;

    /// <summary>The longest GOP a keyframe search reads through before it gives up.</summary>
    private const long MaxGop = 120 * TicksPerSecond;

    /// <summary>Bytes of video payload read from each access unit to judge it by its codec.</summary>
    private const int CodecBytes = 4096;

    /// <summary>Bytes of an audio PES's payload that say whether it starts with a frame (its sync word).</summary>
    private const int AudioSyncBytes = 2;

    /// <summary>How close a search by timestamps brings its position to the time sought
    /// before the units are read one by one.</summary>
    private const long SeekWindow = 64 * 1024;

    /// <summary>How far each step of a backward scan reaches: a keyframe is found at most this
    /// far before it, and the windows read no more than that.</summary>
    private const long BackWindow = 192 * 1024;

    /// <summary>How far past a window's end a backward scan reads, so that the unit starting
    /// last in the window is judged by its first bytes (<see cref="CodecBytes"/> of video,
    /// with the other streams' packets between them).</summary>
    private const long CodecSlack = 96 * 188;

    /// <summary>The longest read of a scan that stops at a keyframe (48 KiB): it reads at most that past it.</summary>
    private const int ScanPackets = 256;

    /// <summary>Units read at the head to learn the frame duration and the reordering.</summary>
    private const int HeadUnits = 12;

    private readonly long _pts0;

    private Recording(SafeFileHandle file, long size, PacketGrid grid, ProgramTables tables, MediaTrack cutStream, long pts0)
    {
        File = file;
        Size = size;
        Grid = grid;
        Tables = tables;
        CutStream = cutStream;
        Codec = ProgramTables.VideoCodecOf(cutStream.StreamType);
        Audio = ProgramTables.AudioCodecOf(cutStream);
        _pts0 = pts0;
    }

    internal SafeFileHandle File { get; }
    internal long Size { get; }
    internal PacketGrid Grid { get; }
    internal ProgramTables Tables { get; }
    /// <summary>The stream whose access units are the timeline and the places to cut: the
    /// video, or in a radio recording (no video) the first audio stream.</summary>
    internal MediaTrack CutStream { get; }

    /// <summary>A radio recording: cut on the audio PES that start with a frame.</summary>
    internal bool IsRadio => CutStream.Kind == MediaStreamKind.Audio;

    /// <summary>The video codec (<see cref="VideoCodecKind.Other"/> in radio).</summary>
    internal VideoCodecKind Codec { get; }

    /// <summary>The audio codec of radio's cut stream (<see cref="AudioCodecKind.Other"/> for video).</summary>
    private AudioCodecKind Audio { get; }

    /// <summary>Where the packets end: the file's size less a partial last packet.</summary>
    internal long End => Size <= Grid.Start ? Grid.Start : Grid.Start + (Size - Grid.Start) / Grid.Size * Grid.Size;

    /// <summary>Bytes of a partial packet at the end (an interrupted recording), or 0.</summary>
    internal long PartialTail => Size - End;

    /// <summary>The presentation time just after the last frame, in ticks from time 0.</summary>
    internal long EndTicks { get; private set; }

    /// <summary>One frame's duration in ticks, from the first frames' spacing.</summary>
    internal long FrameTicks { get; private set; }

    internal double Duration => (double)EndTicks / TicksPerSecond;

    /// <summary>The decode time of the first unit: where the timestamps start at the first packet.</summary>
    private long StartDecode { get; set; }

    /// <summary>How long a frame's presentation may follow its decoding: the most seen in the
    /// first units (B-frame reordering) and two frames more, at most <see cref="Reorder"/>.
    /// A unit presented at t is decoded no earlier than t less this.</summary>
    private long Delay { get; set; }

    /// <summary>Opens a file whose <paramref name="head"/> (its first bytes) holds a packet grid.</summary>
    /// <exception cref="InvalidDataException">No program tables, neither video nor audio.</exception>
    internal static Recording Open(SafeFileHandle file, ReadOnlySpan<byte> head, CancellationToken cancel)
    {
        long size = RandomAccess.GetLength(file);
        PacketGrid grid = PacketGrid.Find(head) ?? throw new ArgumentException("no packet grid in the head given", nameof(head));
        ProgramTables tables = ProgramTables.Read(file, grid, size, cancel);
        MediaTrack stream = tables.CutStream
            ?? throw new InvalidDataException($"the recording has neither a video nor an audio stream (streams: {string.Join(", ", tables.Programs.SelectMany(p => p.Streams).Select(s => s.Codec))}); cuts are made on video keyframes or, in radio, on audio frames");
        var probe = new Recording(file, size, grid, tables, stream, 0);
        List<AccessUnit> first = [.. probe.Units(grid.Start, Math.Min(probe.End, grid.Start + ProgramTables.SearchBytes), judge: false, cancel: cancel).Where(u => u.Pts is not null).Take(HeadUnits)];
        if (first.Count == 0)
        {
            throw new InvalidDataException($"no {stream.Kind.ToString().ToLowerInvariant()} access unit with a timestamp on PID {stream.Pid} ({stream.Codec}) in the first {ProgramTables.SearchBytes >> 20} MiB");
        }
        var recording = new Recording(file, size, grid, tables, stream, first[0].Pts!.Value);
        long[] pts = [.. first.Select(u => recording.Relative(u.Pts!.Value)).Order()];
        long frame = pts.Zip(pts.Skip(1), (a, b) => b - a).Where(d => d > 0).DefaultIfEmpty(TicksPerSecond / 25).Min();
        recording.FrameTicks = frame;
        recording.StartDecode = recording.Relative(first[0].Dts ?? first[0].Pts!.Value);
        long reordered = Math.Max(0, first.Max(u => u.Dts is { } dts ? recording.Relative(u.Pts!.Value) - recording.Relative(dts) : 0));
        recording.Delay = Math.Min(Reorder, reordered + 2 * frame);
        // The last frame shown is among the last decoded: as many back as frames are reordered, and two more.
        recording.EndTicks = recording.LastPts((int)Math.Min(16, reordered / frame + 2), cancel) + frame;
        return recording;
    }

    /// <summary>The 33-bit timestamp of <paramref name="ticks"/> from time 0, as a PES header carries it.</summary>
    internal long Absolute(long ticks) => ((ticks + _pts0) % Wrap + Wrap) % Wrap;

    /// <summary>Ticks from time 0, the 33-bit wrap undone (recordings up to 26 hours).</summary>
    private long Relative(long ts)
    {
        long d = ((ts - _pts0) % Wrap + Wrap) % Wrap;
        return d > Wrap - Early ? d - Wrap : d;
    }

    /// <summary>The units of the cut stream whose PES starts in [from, to), in file order, each
    /// handed out as soon as it is judged (from its first packet where the muxer set
    /// random_access_indicator, else from its first <see cref="CodecBytes"/> of video or
    /// <see cref="AudioSyncBytes"/> of audio), so a search
    /// that stops at a unit reads no further than that. Without <paramref name="judge"/>
    /// only the timestamps are wanted: each unit comes from its first packet.</summary>
    /// <remarks>With <paramref name="whole"/> the caller reads the whole region, and it is read in large pieces from the first (one read, for a window of a backward scan).</remarks>
    internal IEnumerable<AccessUnit> Units(long from, long to, int packetsPerRead = 1024, bool judge = true, bool whole = false, CancellationToken cancel = default)
    {
        var scanner = new PacketScanner(File, Grid, from, to, packetsPerRead, whole, cancel);
        var unit = new UnitAssembler(this, judge);
        while (scanner.Next())
        {
            unit.Add(scanner.Packet, scanner.Offset);
            while (unit.Ready.TryDequeue(out AccessUnit done))
            {
                yield return done;
            }
        }
        unit.Finish();
        while (unit.Ready.TryDequeue(out AccessUnit done))
        {
            yield return done;
        }
    }

    /// <summary>Gathers one PES of the cut stream at a time from the packets fed to it: its
    /// timestamps, the muxer's random_access_indicator, and where that is not set, its first
    /// bytes for the codec; a unit is ready once that is known.</summary>
    private sealed class UnitAssembler(Recording recording, bool judge)
    {
        private readonly byte[] _es = new byte[recording.IsRadio ? AudioSyncBytes : CodecBytes];
        private int _esLength;
        private long _offset = -1;
        private long? _pts, _dts;
        private bool _rai, _judged;

        /// <summary>Units judged, in file order.</summary>
        internal Queue<AccessUnit> Ready { get; } = new(2);

        internal void Add(ReadOnlySpan<byte> p, long offset)
        {
            if (TsPacket.Pid(p) != recording.CutStream.Pid)
            {
                return;
            }
            ReadOnlySpan<byte> payload = TsPacket.Payload(p);
            if (TsPacket.PayloadUnitStart(p))
            {
                Finish();
                _offset = offset;
                _rai = TsPacket.RandomAccess(p);
                (_pts, _dts, int esStart) = PesHeader(payload);
                _esLength = 0;
                _judged = false;
                payload = payload[Math.Min(esStart, payload.Length)..];
            }
            if (_offset < 0 || _judged)
            {
                return;
            }
            if (!_rai && judge)
            {
                int n = Math.Min(payload.Length, _es.Length - _esLength);
                payload[..n].CopyTo(_es.AsSpan(_esLength));
                _esLength += n;
            }
            if (_rai || !judge || _esLength == _es.Length)
            {
                Judge();
            }
        }

        /// <summary>The unit in progress ends (its region did): judged by what was read of it.</summary>
        internal void Finish()
        {
            if (_offset >= 0 && !_judged)
            {
                Judge();
            }
            _offset = -1;
        }

        private void Judge()
        {
            Ready.Enqueue(new AccessUnit(_offset, _pts is { } p ? recording.Relative(p) : null, _dts is { } d ? recording.Relative(d) : null,
                _rai || (judge && recording.IsRandomAccess(_es.AsSpan(0, _esLength)))));
            _judged = true;
        }
    }

    /// <summary>PTS and DTS of a PES header at the start of <paramref name="payload"/>, and
    /// where its elementary stream bytes begin.</summary>
    private static (long? Pts, long? Dts, int EsStart) PesHeader(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 9 || payload[0] != 0 || payload[1] != 0 || payload[2] != 1)
        {
            return (null, null, payload.Length);
        }
        int flags = payload[7] >> 6;
        int esStart = 9 + payload[8];
        long? pts = flags >= 2 && payload.Length >= 14 ? TsPacket.Timestamp(payload, 9) : null;
        long? dts = flags == 3 && payload.Length >= 19 ? TsPacket.Timestamp(payload, 14) : null;
        return (pts, dts, esStart);
    }

    /// <summary>The latest presentation time of the last <paramref name="units"/> units with
    /// one: windows back from the end, each twice as long as the last, until they hold enough.</summary>
    private long LastPts(int units, CancellationToken cancel)
    {
        var pts = new List<long>();
        long end = End;
        for (long window = 128 * 1024; pts.Count < units && end > Grid.Start && End - end < TailLimit; window *= 2)
        {
            long from = Grid.Floor(Math.Max(Grid.Start, end - window));
            pts.AddRange(Units(from, end, judge: false, whole: true, cancel: cancel).Select(u => u.Pts).OfType<long>());
            end = from;
        }
        return pts.Count > 0 ? pts.Max() : throw new InvalidDataException($"no {CutStream.Kind.ToString().ToLowerInvariant()} timestamp in the last {TailLimit >> 20} MiB of the recording (PID {CutStream.Pid}): the stream stops long before the end");
    }

    /// <summary>Whether a unit whose first elementary-stream bytes are <paramref name="es"/>
    /// is a place a decoder can start: a video random-access picture by its codec, or an
    /// audio PES that starts with a frame (each audio frame decodes on its own).</summary>
    private bool IsRandomAccess(ReadOnlySpan<byte> es) =>
        IsRadio ? AudioCodec.StartsFrame(Audio, es) : VideoCodec.IsRandomAccess(Codec, es);

    /// <summary>The last <paramref name="count"/> units whose PES starts before
    /// <paramref name="offset"/> (fewer near the head), in file order: windows back from it,
    /// each twice as long as the last, until one holds more, up to <see cref="TailLimit"/>.</summary>
    internal List<AccessUnit> UnitsBefore(long offset, int count, CancellationToken cancel)
    {
        if (_unitsBefore.TryGetValue((offset, count), out List<AccessUnit>? found))
        {
            return [.. found];
        }
        for (long window = 256 * 1024; ; window *= 2)
        {
            long from = Grid.Floor(Math.Max(Grid.Start, offset - window));
            List<AccessUnit> units = [.. Units(from, offset, judge: false, whole: true, cancel: cancel)];
            if (units.Count > count || from == Grid.Start || window >= TailLimit)
            {
                _unitsBefore[(offset, count)] = [.. units.TakeLast(count)];
                return [.. units.TakeLast(count)];
            }
        }
    }

    // What UnitsBefore and ReadUnit have read, by their arguments. A cut's plan asks for the
    // same pictures more than once (a join's picture order is counted where the cut's start
    // may move, and again where the join is bridged: 660 KB read twice for one open-GOP join),
    // and the file does not change while it plans: it holds the file's lock, and the edit
    // comes after the plan.
    private readonly Dictionary<(long Offset, int Count), List<AccessUnit>> _unitsBefore = [];
    private readonly Dictionary<(long Offset, int Limit), UnitBytes> _unitsRead = [];

    /// <summary>The decode time of the first video unit with a timestamp at or after
    /// <paramref name="offset"/>, from its first packet; null if none follows.</summary>
    private long? DecodeTimeAt(long offset, CancellationToken cancel) =>
        Units(offset, End, packetsPerRead: 64, judge: false, cancel: cancel).Select(u => u.DecodeTime).FirstOrDefault(t => t is not null);

    /// <summary>
    /// A packet offset before every unit whose decode time is at or after
    /// <paramref name="ticks"/>, and within <see cref="SeekWindow"/> of them: a search over
    /// the file by the timestamps found (decode times grow through the file). Each probe
    /// reads from a guess to the next video PES start, a few KiB. The guess is where the time
    /// would be at an even bitrate between the bounds known so far; from it the search
    /// strides away, twice as far each time, until the time is passed; after a few rounds it
    /// halves instead (a recording whose bitrate swings still takes O(log size) probes).
    /// </summary>
    internal long SeekBefore(long ticks, CancellationToken cancel)
    {
        long lo = Grid.Start, hi = End, tLo = StartDecode, tHi = EndTicks;
        for (int round = 0; hi - lo > SeekWindow; round++)
        {
            long guess = round < 3 && tHi > tLo && ticks > tLo
                ? lo + (long)((double)(ticks - tLo) / (tHi - tLo) * (hi - lo))
                : lo + (hi - lo) / 2;
            long at = Grid.Floor(Math.Clamp(guess, lo + SeekWindow / 2, hi - SeekWindow / 2));
            bool below = Below(at);
            for (long stride = SeekWindow / 2; hi - lo > SeekWindow; stride *= 2)
            {
                long next = Grid.Floor(below ? at + stride : at - stride);
                if (next <= lo || next >= hi || Below(next) != below)
                {
                    break;
                }
                at = next;
            }
        }
        return lo;

        // Moves a bound to the probe: lo if the unit found there is decoded before ticks.
        bool Below(long at)
        {
            long? t = DecodeTimeAt(at, cancel);
            if (t is { } time && time < ticks)
            {
                (lo, tLo) = (at, time);
                return true;
            }
            (hi, tHi) = (at, t ?? tHi);
            return false;
        }
    }

    /// <summary>The first random-access unit presented at or after <paramref name="ticks"/>;
    /// null if there is none before the end or within <see cref="MaxGop"/> of it. Read from
    /// where units presented at <paramref name="ticks"/> can first be decoded up to the
    /// keyframe: half a GOP on average.</summary>
    internal AccessUnit? FirstKeyframeAtOrAfter(long ticks, CancellationToken cancel)
    {
        long from = SeekBefore(ticks - Delay, cancel);
        return Units(from, End, packetsPerRead: ScanPackets, cancel: cancel).TakeWhile(u => !(u.DecodeTime > ticks + MaxGop))
            .Where(u => u.RandomAccess && u.Pts >= ticks).Select(u => (AccessUnit?)u).FirstOrDefault();
    }

    /// <summary>The last random-access unit presented at or before <paramref name="ticks"/>.
    /// It is decoded at or before <paramref name="ticks"/> (a unit is decoded no later than it
    /// is presented), so it lies before the first unit decoded after it: the units up to
    /// there are read, then windows of <see cref="BackWindow"/> before them, back to front,
    /// until one holds a keyframe (half a GOP back on average) or <see cref="MaxGop"/> is passed.</summary>
    internal AccessUnit? LastKeyframeAtOrBefore(long ticks, CancellationToken cancel)
    {
        long end = SeekBefore(ticks + 1, cancel);
        AccessUnit? found = LastKey(Units(end, End, packetsPerRead: ScanPackets, cancel: cancel).TakeWhile(u => !(u.DecodeTime > ticks)));
        while (found is null && end > Grid.Start)
        {
            long start = Grid.Floor(Math.Max(Grid.Start, end - BackWindow));
            List<AccessUnit> units = [.. Units(start, Math.Min(End, end + CodecSlack), packetsPerRead: (int)((BackWindow + CodecSlack) / Grid.Size) + 1, whole: true, cancel: cancel).Where(u => u.Offset < end)];
            found = LastKey(units);
            if (units.Any(u => u.DecodeTime < ticks - MaxGop))
            {
                break;
            }
            end = start;
        }
        return found;

        AccessUnit? LastKey(IEnumerable<AccessUnit> units) => units.Where(u => u.RandomAccess && u.Pts <= ticks).Select(u => (AccessUnit?)u).LastOrDefault();
    }

    /// <summary>The unit (any kind) presented nearest <paramref name="ticks"/>, for exact
    /// cuts: among those decoded from a frame and the reordering before it to a frame after
    /// it, or if none is there (a gap), a second either side.</summary>
    internal AccessUnit? Nearest(long ticks, CancellationToken cancel) =>
        NearestWithin(ticks, Delay + FrameTicks, FrameTicks, cancel) ?? NearestWithin(ticks, Reorder, Reorder, cancel);

    private AccessUnit? NearestWithin(long ticks, long before, long after, CancellationToken cancel) =>
        Units(SeekBefore(ticks - before, cancel), End, cancel: cancel).TakeWhile(u => !(u.DecodeTime > ticks + after))
            .Where(u => u.Pts is not null).Select(u => (AccessUnit?)u).MinBy(u => Math.Abs(u!.Value.Pts!.Value - ticks));

    /// <summary>Random-access units in the whole file: reads it all.</summary>
    internal int CountKeyframes(IProgress<long>? progress, CancellationToken cancel)
    {
        int count = 0;
        long reported = 0;
        foreach (AccessUnit u in Units(Grid.Start, End, packetsPerRead: 5461, cancel: cancel))
        {
            count += u.RandomAccess ? 1 : 0;
            if (progress is not null && u.Offset - reported >= 16 << 20)
            {
                reported = u.Offset;
                progress.Report(u.Offset);
            }
        }
        progress?.Report(End);
        return count;
    }

    /// <summary>The elementary-stream bytes of the unit whose PES starts at
    /// <paramref name="offset"/> (up to <paramref name="limit"/>), and where each lies in the file.</summary>
    internal UnitBytes ReadUnit(long offset, int limit)
    {
        if (_unitsRead.TryGetValue((offset, limit), out UnitBytes? read))
        {
            return read;
        }
        byte[] es = new byte[limit];
        int length = 0;
        var runs = new List<(int Index, long FileOffset)>();
        var scanner = new PacketScanner(File, Grid, offset, End, packetsPerRead: 256);
        bool first = true;
        while (length < limit && scanner.Next())
        {
            ReadOnlySpan<byte> p = scanner.Packet;
            if (TsPacket.Pid(p) != CutStream.Pid)
            {
                continue;
            }
            if (TsPacket.PayloadUnitStart(p) && !first)
            {
                break;
            }
            ReadOnlySpan<byte> payload = TsPacket.Payload(p);
            int skip = first ? Math.Min(PesHeader(payload).EsStart, payload.Length) : 0;
            first = false;
            int n = Math.Min(payload.Length - skip, limit - length);
            payload.Slice(skip, n).CopyTo(es.AsSpan(length));
            runs.Add((length, scanner.Offset + Grid.Header + TsPacket.PayloadStart(p) + skip));
            length += n;
        }
        return _unitsRead[(offset, limit)] = new UnitBytes(es[..length], runs);
    }

    /// <summary>The packets in [from, to) of <paramref name="pids"/> (null: of every PID but
    /// null packets), in file order.</summary>
    internal List<PidPacket> StreamPackets(long from, long to, HashSet<int>? pids, CancellationToken cancel)
    {
        var list = new List<PidPacket>();
        var scanner = new PacketScanner(File, Grid, from, to, packetsPerRead: 1024, cancel: cancel);
        while (scanner.Next())
        {
            ReadOnlySpan<byte> p = scanner.Packet;
            int pid = TsPacket.Pid(p);
            if (pids?.Contains(pid) ?? pid != TsPacket.NullPid)
            {
                bool start = TsPacket.PayloadUnitStart(p);
                bool section = start && !TsPacket.StartsPes(p);
                list.Add(new PidPacket(scanner.Offset, pid, start, section, section && TsPacket.EndsEarlierSection(p), TsPacket.ContinuityCounter(p), TsPacket.HasPayload(p)));
            }
        }
        return list;
    }

    /// <summary>The stored bytes of the packet at <paramref name="offset"/> (M2TS header included).</summary>
    internal byte[] StoredPacket(long offset)
    {
        byte[] b = new byte[Grid.Size];
        MediaReads.Read(File, b, offset);
        return b;
    }
}

/// <summary>One packet of a PID as a cut's scans see it: where it is, whether a PES or a
/// section starts in it (payload_unit_start), whether that is a section (PSI: tables,
/// SCTE-35) and, for a section, whether the packet first ends one begun earlier
/// (<paramref name="EndsEarlier"/>: its pointer_field is not 0); its continuity_counter and
/// whether it carries payload (which alone advances the counter).</summary>
internal readonly record struct PidPacket(long Offset, int Pid, bool Start, bool Section, bool EndsEarlier, int Counter, bool HasPayload)
{
    /// <summary>The continuity_counter a packet just before this one must carry for the
    /// count to run on into it: one less where this one carries payload, else the same.</summary>
    internal int CounterBefore => HasPayload ? (Counter + 15) % 16 : Counter;
}

/// <summary>A video unit's elementary-stream bytes as read from its packets, and the file
/// offset of any of them (each packet's payload is one run).</summary>
internal sealed class UnitBytes(byte[] es, List<(int Index, long FileOffset)> runs)
{
    internal byte[] Es { get; } = es;

    internal long FileOffsetOf(int index)
    {
        int lo = 0, hi = runs.Count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (runs[mid].Index <= index)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return runs[lo].FileOffset + (index - runs[lo].Index);
    }
}
