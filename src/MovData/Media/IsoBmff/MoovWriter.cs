using System.Buffers.Binary;

namespace MovData.Media.IsoBmff;

/// <summary>
/// Writes the moov a cut leaves: the old one box by box, with each track's sample tables
/// made from the samples it keeps (offsets shifted by the blocks collapsed before them), its
/// edit list and durations shortened, and every other box (sample entries, sgpd, udta, meta)
/// as it was. From a fragmented movie (its tables empty, its samples in fragments) it writes
/// a movie that is not fragmented: mvex left out, and the tables a fragment carries per
/// sample (sync flags, composition offsets) given their own stss and ctts. Of a file whose
/// first fragment moov indexes, that fragment gone, it writes the moov that the fragments after
/// it go on from: every track, its tables emptied, and mvex as it was.
/// </summary>
internal static class MoovWriter
{
    /// <summary>Boxes whose children are rewritten.</summary>
    private static readonly HashSet<string> Containers = ["trak", "edts", "mdia", "minf", "stbl"];

    /// <summary>Per-sample boxes a cut would leave stale and does not rewrite yet.</summary>
    private static readonly HashSet<string> Stale = ["subs", "saiz", "saio", "stdp", "padb", "stsh"];

    /// <summary>The new moov of <paramref name="movie"/>: each track's tables those of what
    /// its cut in <paramref name="cuts"/> keeps, at offsets less <paramref name="shift"/>. With
    /// <paramref name="fragmentsFollow"/>, the movie's fragments go on after it (they index the
    /// tracks it has, and need its mvex), not into its tables. With <paramref name="chapters"/>,
    /// a Nero chapter list in udta has its chapters moved as the cut moves time.</summary>
    /// <exception cref="InvalidDataException">A table this does not rewrite yet (sub-samples, encryption).</exception>
    internal static byte[] Write(Movie movie, IReadOnlyList<TrackCut> cuts, OffsetShift shift, string path, bool fragmentsFollow = false, ChapterList? chapters = null)
    {
        byte[] moov = movie.MoovBytes;
        Box root = movie.Moov with { Offset = 0 };
        long[] trackDurations = [.. cuts.Select(c => TrackDuration(c, movie.MovieTimescale))];
        // A video or audio track left with no sample is left out (a saved movie's video where no
        // run of it holds a keyframe): ffmpeg cannot tell such a stream's format.
        bool[] written = [.. cuts.Select(c => fragmentsFollow || c.Kept.Length > 0 || c.Track.Kind == MediaStreamKind.Other)];
        // The new moov is about the old one's size: room for it from the start, not doubled into.
        var w = new BoxWriter(moov.Length + 64 * 1024);
        int start = w.Begin(FourCc.Moov);
        int trak = 0;
        foreach (Box child in Boxes.Children(moov, root, "moov"))
        {
            if (child.Name == "mvhd")
            {
                w.Copy(moov, child, Duration(moov, child, 12, trackDurations.Where((_, k) => written[k]).DefaultIfEmpty(0).Max()));
            }
            else if (child.Name == "trak")
            {
                if (written[trak])
                {
                    Track(w, moov, child, cuts[trak], trackDurations[trak], shift, path);
                }
                trak++;
            }
            else if (child.Name == "mvex" && movie.Fragmented && !fragmentsFollow)
            {
                // The samples are in these tables now: no fragments to extend the movie with.
            }
            else if (child.Name == "udta" && chapters is not null && ChapterList.In(moov, child) is { } chpl)
            {
                // Copied but for its chpl; what follows its last box (QuickTime ends udta with
                // four zero bytes) as it was.
                int udta = w.Begin(child.Type);
                w.Bytes(moov.AsSpan((int)child.PayloadOffset, (int)(chpl.Offset - child.PayloadOffset)));
                chapters.Write(w, moov, chpl);
                w.Bytes(moov.AsSpan((int)chpl.End, (int)(child.End - chpl.End)));
                w.End(udta);
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
            return c.Edits.Sum(e => e.Empty ? e.SegmentDuration : Math.Max(0, e.SegmentDuration - c.ShownLost));
        }
        // Shown from MediaTime: a sound to its media's end, a video whose composition offsets
        // delay it (the first picture shown after its decode time) as far past it.
        long skipped = AddsEdits(c) && c.Track.Table.CompositionOffsets is null ? c.MediaTime : 0;
        long media = (long)((Int128)Math.Max(0, c.MediaDuration - skipped) * movieTimescale / c.Track.Timescale);
        return AddsEdits(c) ? (c.EmptyEdit ?? 0) + media : media;
    }

    /// <summary>Whether the cut gives a track without an edit list one: to start it later
    /// (<see cref="TrackCut.EmptyEdit"/>: a saved movie's sound with no sample in its first
    /// range), or to show it from past its first sample's start (<see cref="TrackCut.MediaTime"/>:
    /// after a cut of the head, where the range ends inside the sound's first kept frame, or
    /// the video's first kept picture is shown after its decode time, as B pictures make it);
    /// without it, the track would be shown from its first sample, out of step with the others.
    /// 32-bit fields, as ffmpeg writes them.</summary>
    private static bool AddsEdits(TrackCut c) =>
        c.Track.Edits.Count == 0 && (c.EmptyEdit is > 0 || c.MediaTime != 0)
        && c.EmptyEdit is null or (>= 0 and <= uint.MaxValue / 2) && c.MediaTime is >= 0 and < int.MaxValue;

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

    private static void Track(BoxWriter w, byte[] moov, Box box, TrackCut c, long trackDuration, OffsetShift shift, string path)
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
                    if (box.Name == "trak" && AddsEdits(c) && !Boxes.Children(moov, box, "trak").Any(b => b.Name == "edts"))
                    {
                        // A track with no edit list that must start later or be shown from
                        // later in its media: an empty edit where it starts later, then the rest.
                        int edts = w.Begin(FourCc.Of("edts"));
                        int elst = w.FullBox(FourCc.Of("elst"), 0, 0);
                        long empty = c.EmptyEdit ?? 0;
                        (long Segment, long Media)[] edits = empty > 0 ? [(empty, -1L), (trackDuration - empty, c.MediaTime)] : [(trackDuration, c.MediaTime)];
                        w.U32((uint)edits.Length);
                        foreach ((long segment, long media) in edits)
                        {
                            w.U32((uint)segment);
                            w.U32((uint)(int)media);
                            w.U32(0x10000); // rate 1
                        }
                        w.End(elst);
                        w.End(edts);
                    }
                    break;
                case "mdhd":
                    w.Copy(moov, child, Duration(moov, child, 12, c.MediaDuration));
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
        List<Edit> edits = [.. c.Edits];
        w.U32((uint)edits.Count);
        foreach (Edit e in edits)
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

    private static void SampleTables(BoxWriter w, byte[] moov, Box stbl, TrackCut c, OffsetShift shift, string path)
    {
        SampleTable table = c.Track.Table;
        SampleList s = c.Samples;
        int[] kept = c.Kept;
        List<(long Offset, uint Samples, uint Description)>? chunks = null; // stsc and stco share them
        int start = w.Begin(stbl.Type);
        int group = 0;
        // Samples past the table's came from fragments, whose flags and offsets are per sample.
        bool fromFragments = s.Count > table.Count, sawSync = false, sawOffsets = false;
        uint uniform = table.UniformSize != 0 && kept.All(i => s.Size(i) == table.UniformSize) ? table.UniformSize : 0;
        foreach (Box child in Boxes.Children(moov, stbl, "stbl"))
        {
            sawSync |= child.Name == "stss";
            sawOffsets |= child.Name == "ctts";
            if (Stale.Contains(child.Name))
            {
                throw new InvalidDataException($"{path} cannot be cut: track {c.Track.Id} has a '{child.Name}' table, which a cut does not rewrite yet; nothing was changed");
            }
            switch (child.Name)
            {
                case "stts":
                    Runs(w, "stts", 0, c.Durations.Length, k => c.Durations[k]);
                    break;
                case "ctts":
                    CompositionOffsets(w, c);
                    break;
                case "stss" when kept.Length > 0:
                    SyncSamples(w, s, kept);
                    break;
                case "stss":
                    // None kept (the first fragment moov indexed, gone): no stss, as ffmpeg's
                    // empty_moov writes it; an empty one would say no sample is a sync sample.
                    break;
                case "stsz" or "stz2":
                {
                    int at = w.FullBox(FourCc.Of("stsz"), 0, 0);
                    w.U32(uniform);
                    w.U32((uint)kept.Length);
                    if (uniform == 0)
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
                case "cslg":
                    // Optional, and stale after any cut (its composition end time; and the
                    // largest offset, which DecodedEarlier can raise): left out, as readers
                    // work the shift out of ctts themselves.
                    break;
                default:
                    w.Copy(moov, child);
                    break;
            }
        }
        if (fromFragments && !sawOffsets && kept.Any(i => s.Pts(i) != s.Dts(i)))
        {
            CompositionOffsets(w, c);
        }
        if (fromFragments && !sawSync && kept.Any(i => !s.IsSync(i)))
        {
            SyncSamples(w, s, kept);
        }
        w.End(start);
    }

    /// <summary>ctts: each kept sample's presentation less its decode time (which a join
    /// may have made earlier: <see cref="TrackCut.DecodedEarlier"/>).</summary>
    private static void CompositionOffsets(BoxWriter w, TrackCut c)
    {
        SampleList s = c.Samples;
        int[] kept = c.Kept;
        long Offset(int i) => s.Pts(i) - s.Dts(i) + c.DecodedEarlier.GetValueOrDefault(i);
        bool negative = kept.Any(i => Offset(i) < 0);
        Runs(w, "ctts", (byte)(negative ? 1 : 0), kept.Length, k => Offset(kept[k]));
    }

    /// <summary>stss: the kept samples that are sync samples, numbered among the kept.</summary>
    private static void SyncSamples(BoxWriter w, SampleList s, int[] kept)
    {
        // Both in decode order: the sync samples walked beside the kept ones.
        IReadOnlyList<int> syncs = s.Sync;
        var numbers = new List<uint>(syncs.Count);
        int next = 0;
        for (int k = 0; k < kept.Length && next < syncs.Count; k++)
        {
            while (next < syncs.Count && syncs[next] < kept[k])
            {
                next++;
            }
            if (next < syncs.Count && syncs[next] == kept[k])
            {
                numbers.Add((uint)(k + 1));
            }
        }
        int at = w.FullBox(FourCc.Of("stss"), 0, 0);
        w.U32((uint)numbers.Count);
        foreach (uint number in numbers)
        {
            w.U32(number);
        }
        w.End(at);
    }

    /// <summary>stts or ctts: runs of equal values among <paramref name="count"/> (each kept
    /// sample's, asked for in turn rather than listed: a long recording has hundreds of thousands).</summary>
    private static void Runs(BoxWriter w, string type, byte version, int count, Func<int, long> value)
    {
        var runs = new List<(uint Count, long Value)>();
        for (int k = 0; k < count; k++)
        {
            long v = value(k);
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
        foreach ((uint n, long v) in runs)
        {
            w.U32(n);
            w.U32((uint)v);
        }
        w.End(at);
    }

    /// <summary>The kept samples in chunks: a chunk of the old table, less its removed
    /// samples, split where they are no longer end to end; at their offsets after the cut.</summary>
    private static List<(long Offset, uint Samples, uint Description)> KeptChunks(TrackCut c, int[] kept, OffsetShift shift)
    {
        // About as many as the old table's (a cut splits a few); from fragments, a guess.
        var chunks = new List<(long Offset, uint Samples, uint Description)>(Math.Min(kept.Length, c.Track.Table.ChunkOffsets.Length + 64));
        // The old chunks walked beside the kept samples (both in sample order): which chunk
        // and description each kept sample had. From fragments the table has no chunks:
        // one chunk (-1) and no description for all.
        SampleTable.ChunkWalk old = c.Track.Table.Chunks();
        int chunk = -1, lastChunk = -2;
        long chunkEnd = 0;
        uint description = 0;
        long end = -1, oldEnd = -1; // where the last kept sample ends, after the cut and before
        foreach (int i in kept)
        {
            while (i >= chunkEnd && old.MoveNext())
            {
                (chunk, chunkEnd, description) = (chunk + 1, old.Current.FirstSample + old.Current.Samples, old.Current.Description);
            }
            long at = c.Samples.Offset(i);
            // Where a sample that begins where the last kept one ended moves back as far
            // (OffsetShift.EndToEnd), only the others are looked up: a few per chunk at most.
            long offset = shift.EndToEnd && at == oldEnd ? end : at - shift.Of(at);
            if (chunk != lastChunk || offset != end)
            {
                // From fragments (no chunks in the table): the first sample description.
                chunks.Add((offset, 0, Math.Max(1u, description)));
            }
            chunks[^1] = (chunks[^1].Offset, chunks[^1].Samples + 1, chunks[^1].Description);
            lastChunk = chunk;
            end = offset + c.Samples.Size(i);
            oldEnd = at + c.Samples.Size(i);
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

/// <summary>How far a cut moves each kept sample's bytes back: <see cref="Of"/> an old offset.
/// <see cref="EndToEnd"/>: a sample that begins where the last kept one ended always moves as
/// far, so it is asked once per run of them. True of collapsed blocks, which never lie inside
/// kept bytes; not of a saved movie's runs, which meet where a kept sample of no bytes stood
/// between two gaps.</summary>
internal sealed record OffsetShift(Func<long, long> Of, bool EndToEnd);
