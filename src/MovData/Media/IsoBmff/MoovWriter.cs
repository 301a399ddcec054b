using System.Buffers.Binary;

namespace MovData.Media.IsoBmff;

/// <summary>
/// Writes the moov a cut leaves: the old one box by box, with each track's sample tables
/// made from the samples it keeps (offsets shifted by the blocks collapsed before them), its
/// edit list and durations shortened, and every other box (sample entries, sgpd, udta, meta)
/// as it was.
/// </summary>
internal static class MoovWriter
{
    /// <summary>Boxes whose children are rewritten.</summary>
    private static readonly HashSet<string> Containers = ["trak", "edts", "mdia", "minf", "stbl"];

    /// <summary>Per-sample boxes a cut would leave stale and does not rewrite yet.</summary>
    private static readonly HashSet<string> Stale = ["subs", "saiz", "saio", "stdp", "padb", "stsh"];

    /// <exception cref="InvalidDataException">A table this does not rewrite yet (sub-samples, encryption).</exception>
    internal static byte[] Write(Movie movie, IReadOnlyList<TrackCut> cuts, Func<long, long> shift, string path)
    {
        byte[] moov = movie.MoovBytes;
        Box root = movie.Moov with { Offset = 0 };
        long[] trackDurations = [.. cuts.Select(c => TrackDuration(c, movie.MovieTimescale))];
        var w = new BoxWriter();
        int start = w.Begin(FourCc.Moov);
        int trak = 0;
        foreach (Box child in Boxes.Children(moov, root, "moov"))
        {
            if (child.Name == "mvhd")
            {
                w.Copy(moov, child, Duration(moov, child, 12, trackDurations.Max()));
            }
            else if (child.Name == "trak")
            {
                Track(w, moov, child, cuts[trak], trackDurations[trak], shift, path);
                trak++;
            }
            else
            {
                w.Copy(moov, child);
            }
        }
        w.End(start);
        return w.ToArray();
    }

    /// <summary>The track's new duration on the movie's clock: its edit list's, else its media's.</summary>
    private static long TrackDuration(TrackCut c, long movieTimescale)
    {
        if (c.Track.Edits.Count > 0)
        {
            return c.Track.Edits.Sum(e => e.Empty ? e.SegmentDuration : Math.Max(0, e.SegmentDuration - c.ShownLost));
        }
        return (long)((Int128)c.Durations.Sum(d => (long)d) * movieTimescale / c.Track.Timescale);
    }

    /// <summary>Where mvhd, tkhd and mdhd keep a duration: after the full box's 4 bytes,
    /// creation and modification times and one more 32-bit field (<paramref name="before32"/>
    /// bytes in version 0: 12 for mvhd's and mdhd's timescale, 16 for tkhd's id and reserved).</summary>
    private static Action<Span<byte>> Duration(byte[] moov, Box box, int before32, long value) => payload =>
    {
        if (moov[box.PayloadOffset] == 1)
        {
            BinaryPrimitives.WriteInt64BigEndian(payload[(4 + 16 + before32 - 8)..], value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(payload[(4 + before32)..], (uint)Math.Min(value, uint.MaxValue));
        }
    };

    private static void Track(BoxWriter w, byte[] moov, Box box, TrackCut c, long trackDuration, Func<long, long> shift, string path)
    {
        int start = w.Begin(box.Type);
        foreach (Box child in Boxes.Children(moov, box, "trak"))
        {
            switch (child.Name)
            {
                case "tkhd":
                    // version 0: creation, modification, track_ID, reserved (16 bytes) before the duration
                    w.Copy(moov, child, moov[child.PayloadOffset] == 1
                        ? p => BinaryPrimitives.WriteInt64BigEndian(p[(4 + 8 + 8 + 4 + 4)..], trackDuration)
                        : p => BinaryPrimitives.WriteUInt32BigEndian(p[(4 + 16)..], (uint)Math.Min(trackDuration, uint.MaxValue)));
                    break;
                case "mdhd":
                    w.Copy(moov, child, Duration(moov, child, 12, c.Durations.Sum(d => (long)d)));
                    break;
                case "elst":
                    EditList(w, moov, child, c);
                    break;
                case "stbl":
                    SampleTables(w, moov, child, c, shift, path);
                    break;
                default:
                    if (Containers.Contains(child.Name))
                    {
                        Track(w, moov, child, c, trackDuration, shift, path);
                    }
                    else
                    {
                        w.Copy(moov, child);
                    }
                    break;
            }
        }
        w.End(start);
    }

    /// <summary>The edit list with its shown segment shortened by the time removed, and
    /// (after a cut of the head) starting where the first kept sample was shown.</summary>
    private static void EditList(BoxWriter w, byte[] moov, Box elst, TrackCut c)
    {
        byte version = moov[elst.PayloadOffset];
        int start = w.FullBox(FourCc.Of("elst"), version, 0);
        w.U32((uint)c.Track.Edits.Count);
        foreach (Edit e in c.Track.Edits)
        {
            long segment = e.Empty ? e.SegmentDuration : Math.Max(0, e.SegmentDuration - c.ShownLost);
            long media = e.Empty ? -1 : c.MediaTime;
            if (version == 1)
            {
                w.U64((ulong)segment);
                w.U64((ulong)media);
            }
            else
            {
                w.U32((uint)segment);
                w.U32((uint)(int)media);
            }
            w.U32((uint)(int)Math.Round(e.Rate * 65536));
        }
        w.End(start);
    }

    private static void SampleTables(BoxWriter w, byte[] moov, Box stbl, TrackCut c, Func<long, long> shift, string path)
    {
        SampleTable table = c.Track.Table;
        SampleList s = c.Samples;
        int[] kept = [.. c.Kept()];
        List<(long Offset, uint Samples, uint Description)>? chunks = null; // stsc and stco share them
        int start = w.Begin(stbl.Type);
        int group = 0;
        foreach (Box child in Boxes.Children(moov, stbl, "stbl"))
        {
            if (Stale.Contains(child.Name))
            {
                throw new InvalidDataException($"{path} cannot be cut: track {c.Track.Id} has a '{child.Name}' table, which a cut does not rewrite yet; nothing was changed");
            }
            switch (child.Name)
            {
                case "stts":
                    Runs(w, "stts", 0, c.Durations.Select(d => (long)d));
                    break;
                case "ctts":
                    long[] offsets = [.. kept.Select(i => s.Pts(i) - s.Dts(i))];
                    Runs(w, "ctts", (byte)(offsets.Any(o => o < 0) ? 1 : 0), offsets);
                    break;
                case "stss":
                {
                    int[] sync = [.. Enumerable.Range(0, kept.Length).Where(k => s.IsSync(kept[k]))];
                    int at = w.FullBox(FourCc.Of("stss"), 0, 0);
                    w.U32((uint)sync.Length);
                    foreach (int k in sync)
                    {
                        w.U32((uint)(k + 1));
                    }
                    w.End(at);
                    break;
                }
                case "stsz" or "stz2":
                {
                    int at = w.FullBox(FourCc.Of("stsz"), 0, 0);
                    w.U32(table.UniformSize);
                    w.U32((uint)kept.Length);
                    if (table.UniformSize == 0)
                    {
                        foreach (int i in kept)
                        {
                            w.U32(s.Size(i));
                        }
                    }
                    w.End(at);
                    break;
                }
                case "stsc":
                    WriteStsc(w, chunks ??= KeptChunks(c, kept, shift));
                    break;
                case "stco" or "co64":
                    WriteChunkOffsets(w, chunks ??= KeptChunks(c, kept, shift), table.LargeOffsets);
                    break;
                case "sdtp" when table.Dependencies is { } deps:
                {
                    int at = w.FullBox(FourCc.Of("sdtp"), 0, 0);
                    foreach (int i in kept)
                    {
                        w.U8(i < deps.Length ? deps[i] : (byte)0);
                    }
                    w.End(at);
                    break;
                }
                case "sbgp":
                    Groups(w, table.SampleGroups[group++], kept, s.Count);
                    break;
                default:
                    w.Copy(moov, child);
                    break;
            }
        }
        w.End(start);
    }

    /// <summary>stts or ctts: runs of equal values.</summary>
    private static void Runs(BoxWriter w, string type, byte version, IEnumerable<long> values)
    {
        var runs = new List<(uint Count, long Value)>();
        foreach (long v in values)
        {
            if (runs.Count > 0 && runs[^1].Value == v)
            {
                runs[^1] = (runs[^1].Count + 1, v);
            }
            else
            {
                runs.Add((1, v));
            }
        }
        int at = w.FullBox(FourCc.Of(type), version, 0);
        w.U32((uint)runs.Count);
        foreach ((uint count, long value) in runs)
        {
            w.U32(count);
            w.U32((uint)value);
        }
        w.End(at);
    }

    /// <summary>The kept samples in chunks: a chunk of the old table, less its removed
    /// samples, split where they are no longer end to end; at their offsets after the cut.</summary>
    private static List<(long Offset, uint Samples, uint Description)> KeptChunks(TrackCut c, int[] kept, Func<long, long> shift)
    {
        var chunkOf = new (int Chunk, uint Description)[c.Samples.Count];
        int number = 0;
        foreach ((_, long first, long samples, uint description) in c.Track.Table.Chunks())
        {
            for (long i = first; i < first + samples; i++)
            {
                chunkOf[i] = (number, description);
            }
            number++;
        }
        var chunks = new List<(long Offset, uint Samples, uint Description)>();
        int lastChunk = -1;
        long end = -1;
        foreach (int i in kept)
        {
            long at = c.Samples.Offset(i);
            long offset = at - shift(at);
            if (chunkOf[i].Chunk != lastChunk || offset != end)
            {
                chunks.Add((offset, 0, chunkOf[i].Description));
            }
            chunks[^1] = (chunks[^1].Offset, chunks[^1].Samples + 1, chunks[^1].Description);
            lastChunk = chunkOf[i].Chunk;
            end = offset + c.Samples.Size(i);
        }
        return chunks;
    }

    /// <summary>stsc: runs of chunks with the same count of samples and description.</summary>
    private static void WriteStsc(BoxWriter w, List<(long Offset, uint Samples, uint Description)> chunks)
    {
        int at = w.FullBox(FourCc.Of("stsc"), 0, 0);
        var entries = new List<(int First, uint Samples, uint Description)>();
        for (int k = 0; k < chunks.Count; k++)
        {
            if (entries.Count == 0 || entries[^1].Samples != chunks[k].Samples || entries[^1].Description != chunks[k].Description)
            {
                entries.Add((k + 1, chunks[k].Samples, chunks[k].Description));
            }
        }
        w.U32((uint)entries.Count);
        foreach ((int first, uint samples, uint description) in entries)
        {
            w.U32((uint)first);
            w.U32(samples);
            w.U32(description);
        }
        w.End(at);
    }

    /// <summary>stco or co64: the chunks' offsets. stco stays stco: offsets only get smaller.</summary>
    private static void WriteChunkOffsets(BoxWriter w, List<(long Offset, uint Samples, uint Description)> chunks, bool large)
    {
        int box = w.FullBox(FourCc.Of(large ? "co64" : "stco"), 0, 0);
        w.U32((uint)chunks.Count);
        foreach ((long offset, _, _) in chunks)
        {
            if (large)
            {
                w.U64((ulong)offset);
            }
            else
            {
                w.U32((uint)offset);
            }
        }
        w.End(box);
    }

    /// <summary>An sbgp with the kept samples' group entries, in runs.</summary>
    private static void Groups(BoxWriter w, SampleGroup g, int[] kept, int count)
    {
        var index = new uint[count];
        int at = 0;
        foreach ((uint n, uint i) in g.Runs)
        {
            for (uint k = 0; k < n && at < count; k++)
            {
                index[at++] = i;
            }
        }
        var runs = new List<(uint Count, uint Index)>();
        foreach (int i in kept)
        {
            if (runs.Count > 0 && runs[^1].Index == index[i])
            {
                runs[^1] = (runs[^1].Count + 1, index[i]);
            }
            else
            {
                runs.Add((1, index[i]));
            }
        }
        int box = w.FullBox(FourCc.Of("sbgp"), (byte)(g.Parameter is null ? 0 : 1), 0);
        w.U32(g.Type);
        if (g.Parameter is { } parameter)
        {
            w.U32(parameter);
        }
        w.U32((uint)runs.Count);
        foreach ((uint n, uint i) in runs)
        {
            w.U32(n);
            w.U32(i);
        }
        w.End(box);
    }
}

/// <summary>Boxes written into a growing buffer: a box begun is given its size when it ends.</summary>
internal sealed class BoxWriter
{
    private byte[] _buffer = new byte[64 * 1024];
    private int _length;

    /// <summary>Starts a box (a 32-bit size: a moov is far under 4 GiB); returns where, for <see cref="End"/>.</summary>
    internal int Begin(uint type)
    {
        int at = _length;
        U32(0);
        U32(type);
        return at;
    }

    internal int FullBox(uint type, byte version, uint flags)
    {
        int at = Begin(type);
        U32((uint)version << 24 | flags);
        return at;
    }

    internal void End(int at) => BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(at), (uint)(_length - at));

    /// <summary>A box as it was, with <paramref name="patch"/> applied to its payload.</summary>
    internal void Copy(byte[] from, Box box, Action<Span<byte>>? patch = null)
    {
        Span<byte> to = Take((int)box.Size);
        from.AsSpan((int)box.Offset, (int)box.Size).CopyTo(to);
        patch?.Invoke(to[box.HeaderSize..]);
    }

    internal void U8(byte v) => Take(1)[0] = v;

    internal void U32(uint v) => BinaryPrimitives.WriteUInt32BigEndian(Take(4), v);

    internal void U64(ulong v) => BinaryPrimitives.WriteUInt64BigEndian(Take(8), v);

    internal byte[] ToArray() => _buffer[.._length];

    private Span<byte> Take(int bytes)
    {
        if (_length + bytes > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes));
        }
        _length += bytes;
        return _buffer.AsSpan(_length - bytes, bytes);
    }
}
