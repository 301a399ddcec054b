namespace MovData.Media.IsoBmff;

/// <summary>
/// A track's sample tables (<c>stbl</c>) as the file holds them, run-length and per chunk, not
/// expanded a sample at a time: a PCM track in a MOV has a sample per audio frame (48,000 a
/// second), so only the video track's samples are ever listed one by one
/// (<see cref="List"/>).
/// </summary>
internal sealed class SampleTable
{
    /// <summary>stsz/stz2: the number of samples, and their size if all are the same (else 0 and <see cref="Sizes"/>).</summary>
    internal long Count { get; private init; }
    internal uint UniformSize { get; private init; }
    internal uint[]? Sizes { get; private init; }

    /// <summary>stco or co64 (<see cref="LargeOffsets"/>): each chunk's absolute file offset.</summary>
    internal long[] ChunkOffsets { get; private init; } = [];
    internal bool LargeOffsets { get; private init; }

    /// <summary>stsc: from which chunk (1-based) on, how many samples a chunk holds, and
    /// which sample entry (1-based) describes them.</summary>
    internal (uint FirstChunk, uint Samples, uint Description)[] SampleToChunk { get; private init; } = [];

    /// <summary>stts: runs of decode durations.</summary>
    internal (uint Count, uint Delta)[] TimeToSample { get; private init; } = [];

    /// <summary>ctts: runs of composition offsets (null: presentation is decode order).</summary>
    internal (uint Count, int Offset)[]? CompositionOffsets { get; private init; }

    /// <summary>stss: the sync samples' 1-based numbers (null: every sample is one).</summary>
    internal uint[]? SyncSamples { get; private init; }

    /// <summary>sdtp: each sample's dependency byte (null without one).</summary>
    internal byte[]? Dependencies { get; private init; }

    /// <summary>sbgp: each grouping's runs of samples and the sgpd entry they belong to.</summary>
    internal IReadOnlyList<SampleGroup> SampleGroups { get; private init; } = [];

    internal long SyncCount => SyncSamples?.Length ?? Count;

    /// <summary>The sum of the decode durations: the media's length in its own timescale.</summary>
    internal long TotalDuration => TimeToSample.Sum(r => (long)r.Count * r.Delta);

    /// <summary>Reads <paramref name="stbl"/>'s tables from <paramref name="moov"/>.</summary>
    /// <exception cref="InvalidDataException">A table is cut short, or the sizes, chunks and offsets disagree.</exception>
    internal static SampleTable Read(ReadOnlySpan<byte> moov, Box stbl, string path)
    {
        long count = 0;
        uint uniform = 0;
        uint[]? sizes = null;
        long[] chunks = [];
        bool large = false;
        (uint, uint, uint)[] stsc = [];
        (uint, uint)[] stts = [];
        (uint, int)[]? ctts = null;
        uint[]? stss = null;
        byte[]? sdtp = null;
        var groups = new List<SampleGroup>();
        foreach (Box box in Boxes.Children(moov, stbl, path))
        {
            string at = $"{path}/{box.Name}";
            var r = new FieldReader(moov, box, at);
            switch (box.Name)
            {
                case "stsz":
                    r.FullBox();
                    uniform = r.U32();
                    if (uniform == 0)
                    {
                        sizes = r.U32Table();
                        count = sizes.Length;
                    }
                    else
                    {
                        count = r.U32();
                    }
                    break;
                case "stz2":
                    r.FullBox();
                    r.Skip(3);
                    int bits = r.U8();
                    if (bits is not (4 or 8 or 16))
                    {
                        throw new InvalidDataException($"the {at} table has {bits}-bit sizes; only 4, 8 and 16 exist");
                    }
                    uint n = r.U32();
                    if (((long)n * bits + 7) / 8 > r.Remaining)
                    {
                        throw new InvalidDataException($"the {at} table claims {n} sizes but its box holds {r.Remaining} bytes (a truncated or corrupt moov)");
                    }
                    sizes = new uint[n];
                    byte pair = 0; // 4-bit sizes: two a byte, the first in the high nibble
                    for (int i = 0; i < n; i++)
                    {
                        sizes[i] = bits switch
                        {
                            16 => r.U16(),
                            8 => r.U8(),
                            _ => i % 2 == 0 ? (uint)(pair = r.U8()) >> 4 : pair & 0xFu,
                        };
                    }
                    count = n;
                    break;
                case "stco" or "co64":
                    r.FullBox();
                    large = box.Name == "co64";
                    chunks = large
                        ? Entries(ref r, 8, (ref FieldReader f) => f.U64() is var o && o > long.MaxValue ? long.MaxValue : (long)o)
                        : Entries(ref r, 4, (ref FieldReader f) => (long)f.U32());
                    break;
                case "stsc":
                    r.FullBox();
                    stsc = Entries(ref r, 12, (ref FieldReader f) => (f.U32(), f.U32(), f.U32()));
                    break;
                case "stts":
                    r.FullBox();
                    stts = Entries(ref r, 8, (ref FieldReader f) => (f.U32(), f.U32()));
                    break;
                case "ctts":
                    r.FullBox();
                    // Version 0 says unsigned, but writers put negative offsets there too; read as ffmpeg does.
                    ctts = Entries(ref r, 8, (ref FieldReader f) => (f.U32(), f.I32()));
                    break;
                case "stss":
                    r.FullBox();
                    stss = r.U32Table();
                    break;
                case "sdtp":
                    r.FullBox();
                    sdtp = r.Take(r.Remaining).ToArray();
                    break;
                case "sbgp":
                {
                    (byte version, _) = r.FullBox();
                    uint type = r.U32();
                    uint? parameter = version == 1 ? r.U32() : null;
                    groups.Add(new SampleGroup(type, parameter, Entries(ref r, 8, (ref FieldReader f) => (f.U32(), f.U32()))));
                    break;
                }
            }
        }
        var table = new SampleTable
        {
            Count = count, UniformSize = uniform, Sizes = sizes, ChunkOffsets = chunks, LargeOffsets = large,
            SampleToChunk = stsc, TimeToSample = stts, CompositionOffsets = ctts, SyncSamples = stss,
            Dependencies = sdtp, SampleGroups = groups,
        };
        table.CheckChunks(path);
        return table;
    }

    private delegate T EntryReader<T>(ref FieldReader r);

    /// <summary>A table of a count and that many entries of <paramref name="bytes"/> each.</summary>
    private static T[] Entries<T>(ref FieldReader r, int bytes, EntryReader<T> entry)
    {
        var entries = new T[r.Count(bytes)];
        for (int i = 0; i < entries.Length; i++)
        {
            entries[i] = entry(ref r);
        }
        return entries;
    }

    /// <summary>Each chunk: its offset, its first sample (0-based) and how many it holds, in
    /// chunk order; the chunks past the last sample are not listed. A struct walked by
    /// foreach: a recording's muxer may write a chunk or two per sample, and the calls
    /// through an iterator's interface were a tenth of a long recording's plan.</summary>
    internal ChunkWalk Chunks() => new(this);

    /// <summary>The walk <see cref="Chunks"/> returns (its own enumerator).</summary>
    internal struct ChunkWalk(SampleTable table)
    {
        private int _run = -1;
        private long _chunk, _end, _sample;

        public readonly ChunkWalk GetEnumerator() => this;

        public (long Offset, long FirstSample, long Samples, uint Description) Current { get; private set; }

        public bool MoveNext()
        {
            var stsc = table.SampleToChunk;
            while (_run < 0 || _chunk >= _end || _sample >= table.Count)
            {
                if (_sample >= table.Count || ++_run >= stsc.Length)
                {
                    return false;
                }
                long last = _run + 1 < stsc.Length ? stsc[_run + 1].FirstChunk - 1 : table.ChunkOffsets.Length;
                (_chunk, _end) = (Math.Max(stsc[_run].FirstChunk - 1L, 0), Math.Min(last, table.ChunkOffsets.Length));
            }
            long n = Math.Min(stsc[_run].Samples, table.Count - _sample);
            Current = (table.ChunkOffsets[_chunk++], _sample, n, stsc[_run].Description);
            _sample += n;
            return true;
        }
    }

    internal long SizeOf(long sample) => Sizes is null ? UniformSize : Sizes[sample];

    /// <summary>The bytes a chunk's samples take, one after another from its offset.</summary>
    internal long ChunkBytes(long firstSample, long samples)
    {
        if (Sizes is null)
        {
            return samples * UniformSize;
        }
        long bytes = 0;
        for (long s = firstSample; s < firstSample + samples; s++)
        {
            bytes += Sizes[s];
        }
        return bytes;
    }

    /// <summary>The chunks must place every sample, and the sizes must match their count.</summary>
    private void CheckChunks(string path)
    {
        if (Count == 0)
        {
            return;
        }
        if (Sizes is not null && Sizes.Length != Count)
        {
            throw new InvalidDataException($"{path}: the sample sizes list {Sizes.Length} samples, not {Count}");
        }
        if (SampleToChunk.Any(e => e.FirstChunk == 0) || SampleToChunk.Zip(SampleToChunk.Skip(1)).Any(p => p.Second.FirstChunk <= p.First.FirstChunk))
        {
            throw new InvalidDataException($"{path}/stsc: its first chunks are not in increasing order from 1");
        }
        // What the chunks hold, run by run of stsc (as Chunks walks them, without a step a chunk).
        long placed = 0;
        for (int run = 0; run < SampleToChunk.Length; run++)
        {
            long last = run + 1 < SampleToChunk.Length ? SampleToChunk[run + 1].FirstChunk - 1 : ChunkOffsets.Length;
            long chunks = Math.Max(0, Math.Min(last, ChunkOffsets.Length) - (SampleToChunk[run].FirstChunk - 1L));
            placed = Math.Min(Count, placed + chunks * SampleToChunk[run].Samples);
        }
        if (placed < Count)
        {
            throw new InvalidDataException($"{path}: the chunk tables place {placed} of its {Count} samples (a truncated or corrupt moov)");
        }
    }

    /// <summary>The samples one by one, in decode order (for the video track, which cuts are
    /// made on): offset, size, decode and presentation time, sync.</summary>
    internal SampleList List()
    {
        if (Count > int.MaxValue)
        {
            throw new InvalidDataException($"a video track of {Count} samples is more than this reads");
        }
        var list = new SampleList((int)Count);
        // stss lists the sync samples in increasing order: walked beside the samples, not hashed.
        uint[]? sync = SyncSamples;
        int nextSync = 0;
        HashSet<uint>? unordered = sync is not null && sync.Zip(sync.Skip(1)).Any(p => p.Second <= p.First) ? [.. sync] : null;
        int stts = 0, ctts = 0;
        long sttsLeft = TimeToSample.Length > 0 ? TimeToSample[0].Count : 0, cttsLeft = CompositionOffsets is { Length: > 0 } c ? c[0].Count : 0;
        long dts = 0;
        foreach ((long offset, long first, long samples, _) in Chunks())
        {
            long at = offset;
            for (long s = first; s < first + samples; s++)
            {
                while (sttsLeft == 0 && stts + 1 < TimeToSample.Length)
                {
                    sttsLeft = TimeToSample[++stts].Count;
                }
                uint delta = TimeToSample.Length > 0 ? TimeToSample[stts].Delta : 0;
                sttsLeft--;
                int cto = 0;
                if (CompositionOffsets is { } runs)
                {
                    while (cttsLeft == 0 && ctts + 1 < runs.Length)
                    {
                        cttsLeft = runs[++ctts].Count;
                    }
                    cto = runs.Length > 0 ? runs[ctts].Offset : 0;
                    cttsLeft--;
                }
                uint size = (uint)SizeOf(s);
                bool isSync = true;
                if (unordered is not null)
                {
                    isSync = unordered.Contains((uint)(s + 1));
                }
                else if (sync is not null)
                {
                    while (nextSync < sync.Length && sync[nextSync] < s + 1)
                    {
                        nextSync++;
                    }
                    isSync = nextSync < sync.Length && sync[nextSync] == s + 1;
                }
                list.Add(at, size, dts, dts + cto, delta, isSync);
                at += size;
                dts += delta;
            }
        }
        return list;
    }
}

/// <summary>An sbgp: samples of <see cref="Type"/> grouped in runs, each run's samples
/// belonging to an sgpd entry (1-based; 0: none).</summary>
internal sealed record SampleGroup(uint Type, uint? Parameter, (uint Count, uint Index)[] Runs);

/// <summary>Samples listed one by one in decode order, as arrays of their exact count where
/// it is known (a two-hour 60 fps video is 432,000 of them, 10 MB). Every page of them is
/// one the kernel zeroes for the process on first touch (about 5 µs each on the machine the
/// benchmarks ran on, a large part of a long recording's plan), so a presentation offset
/// is kept only from the first sample that has one, and never for audio.</summary>
internal sealed class SampleList(int capacity)
{
    private long[] _offset = new long[capacity], _dts = new long[capacity];
    private uint[] _size = new uint[capacity], _duration = new uint[capacity];
    private long[]? _compositionOffset; // presentation less decode time; null while all are 0
    private readonly List<int> _sync = [];

    internal int Count { get; private set; }

    internal void Add(long offset, uint size, long dts, long pts, uint duration, bool sync)
    {
        int i = Count;
        if (i == _offset.Length)
        {
            int grown = Math.Max(16, i * 2);
            Array.Resize(ref _offset, grown);
            Array.Resize(ref _dts, grown);
            Array.Resize(ref _size, grown);
            Array.Resize(ref _duration, grown);
            if (_compositionOffset is not null)
            {
                Array.Resize(ref _compositionOffset, grown);
            }
        }
        if (sync)
        {
            _sync.Add(i);
        }
        if (pts != dts)
        {
            (_compositionOffset ??= new long[_offset.Length])[i] = pts - dts;
        }
        _offset[i] = offset;
        _size[i] = size;
        _dts[i] = dts;
        _duration[i] = duration;
        Count = i + 1;
    }

    internal long Offset(int i) => _offset[CheckIndex(i)];

    internal uint Size(int i) => _size[CheckIndex(i)];

    internal long Pts(int i) => _dts[CheckIndex(i)] + (_compositionOffset is { } c ? c[i] : 0);

    internal long Dts(int i) => _dts[CheckIndex(i)];

    internal bool IsSync(int i) => _sync.BinarySearch(i) >= 0;

    /// <summary>The last sync sample at or before <paramref name="i"/>; null where none is.</summary>
    internal int? LastSyncAtOrBefore(int i)
    {
        int at = _sync.BinarySearch(i);
        at = at >= 0 ? at : ~at - 1;
        return at >= 0 ? _sync[at] : null;
    }

    internal uint Duration(int i) => _duration[CheckIndex(i)];

    /// <summary>The sync samples' indexes, in decode order.</summary>
    internal IReadOnlyList<int> Sync => _sync;

    /// <summary>An index past the samples listed is an error even where the arrays have room
    /// beyond them (the throw kept out of line, so that the accessors inline).</summary>
    private int CheckIndex(int i)
    {
        if ((uint)i >= (uint)Count)
        {
            Outside(i);
        }
        return i;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Outside(int i) => throw new ArgumentOutOfRangeException(nameof(i), i, $"a list of {Count} samples");
}
