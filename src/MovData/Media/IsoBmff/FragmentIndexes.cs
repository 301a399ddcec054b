namespace MovData.Media.IsoBmff;

/// <summary>
/// A segment index (sidx, ISO/IEC 14496-12 §8.16.3) before the fragments, rewritten for a
/// fragment cut: a reference whose fragments all went is dropped (the free box its bytes left
/// counted into the reference before it, or skipped by first_offset at the head), one that
/// lost some is shortened in bytes. Each reference left moves back in time by what its track
/// lost before its first fragment, as the fragments' tfdt do, so its duration runs to the
/// next one left. The box shrinks by 12 bytes a dropped reference,
/// and a free box takes the rest of its place, so nothing after it moves.
/// </summary>
internal static class SegmentIndex
{
    /// <summary>More than any real index: a reference is 12 bytes.</summary>
    private const long MaxBytes = 64 << 20;

    /// <exception cref="NotSupportedException">An index of indexes, or references that do not begin at fragments.</exception>
    /// <exception cref="InvalidDataException">A damaged sidx.</exception>
    internal static Edits.Patch Rewrite(Movie movie, Box sidx, FragmentLayout layout, string path)
    {
        string at = $"sidx at offset {sidx.Offset}";
        byte[] bytes = FragmentIndexRead.Box(movie, sidx, MaxBytes, at);
        var r = new FieldReader(bytes, sidx with { Offset = 0 }, at);
        (byte version, uint flags) = r.FullBox();
        uint referenceId = r.U32();
        uint timescale = r.U32();
        long earliest = r.Sized(version);
        long firstOffset = r.Sized(version);
        r.Skip(2);
        int count = r.U16();
        Track track = movie.Tracks.FirstOrDefault(t => t.Id == referenceId)
            ?? throw new InvalidDataException($"{path}: the {at} indexes track {referenceId}, which moov does not have");
        var kept = new List<(long Size, long Duration, uint Sap)>();
        long first = -1; // where the first kept reference begins after the cut
        long s = sidx.End + firstOffset;
        // Times after the cut, as the fragments' tfdt move (back by the decode time their track
        // lost before them): a fragment that stays begins at its old time less that. A reference
        // gives its first fragment's old time; a later fragment of it is as far on as the
        // decode durations before it. A kept reference begins where its first kept fragment
        // does, and runs to the next kept reference (what went between is in it); the last
        // kept one to the end of its last kept fragment where something after went, else to
        // the old end less all its track lost.
        long Ticks(long trackTicks) => (long)((Int128)trackTicks * timescale / track.Timescale);
        long Lost(int span) => Ticks(layout.LostBefore(span, track.Id));
        long Length(int span) => Ticks(layout.Spans[span].Fragment.Tracks.Where(t => t.TrackId == track.Id).Sum(t => t.Duration));
        long time = earliest, keptTime = -1, newEarliest = 0, keptEnd = 0;
        int lastKept = -1;
        for (int i = 0; i < count; i++)
        {
            uint typeSize = r.U32();
            long duration = r.U32();
            uint sap = r.U32();
            if ((typeSize & 0x80000000) != 0)
            {
                throw new NotSupportedException(
                    $"{path} cannot be cut: its {at} refers to other indexes (a hierarchical index), which a cut does not rewrite; nothing was changed");
            }
            long e = s + (typeSize & 0x7FFFFFFF);
            int k = layout.SpanAt(s);
            if (k < 0 || layout.Spans[k].Start != s)
            {
                throw new NotSupportedException(
                    $"{path} cannot be cut: its {at} has a reference at offset {s} that does not begin a fragment; nothing was changed");
            }
            long size = layout.NewOffset(e) - layout.NewOffset(s);
            long at0 = time; // the old time of fragment k
            long? begins = null;
            for (; k < layout.Spans.Count && layout.Spans[k].Start < e; k++)
            {
                if (!layout.Removed(k))
                {
                    begins ??= at0 - Lost(k);
                    keptEnd = at0 + Length(k) - Lost(k);
                    lastKept = k;
                }
                at0 += Length(k);
            }
            if (begins is not { } now)
            {
                if (kept.Count > 0)
                {
                    kept[^1] = (kept[^1].Size + size, kept[^1].Duration, kept[^1].Sap);
                }
            }
            else
            {
                if (kept.Count > 0)
                {
                    kept[^1] = (kept[^1].Size, Math.Max(0, now - keptTime), kept[^1].Sap);
                }
                else
                {
                    first = layout.NewOffset(s);
                    newEarliest = Math.Max(0, now);
                }
                keptTime = now;
                kept.Add((size, duration, sap));
            }
            time += duration;
            s = e;
        }
        if (kept.Count > 0)
        {
            bool wentAfter = Enumerable.Range(lastKept + 1, layout.Spans.Count - lastKept - 1).Any(layout.Removed);
            long end = wentAfter ? keptEnd : time - Lost(layout.Spans.Count);
            kept[^1] = (kept[^1].Size, Math.Max(0, end - keptTime), kept[^1].Sap);
        }
        var w = new BoxWriter();
        int box = w.FullBox(FourCc.Sidx, version, flags);
        w.U32(referenceId);
        w.U32(timescale);
        int header = 8 + 4 + 4 + 4 + (version == 1 ? 16 : 8) + 4;
        long newSize = header + 12L * kept.Count;
        long offset = first - (sidx.Offset + newSize);
        if (version == 1)
        {
            w.U64((ulong)newEarliest);
            w.U64((ulong)offset);
        }
        else
        {
            w.U32((uint)newEarliest);
            w.U32((uint)offset);
        }
        w.U16(0);
        w.U16((ushort)kept.Count);
        foreach ((long size, long duration, uint sap) in kept)
        {
            if (size > 0x7FFFFFFF)
            {
                throw new NotSupportedException($"{path} cannot be cut so: a reference of its {at} would span {size} bytes, more than a sidx can say; nothing was changed");
            }
            w.U32((uint)size);
            w.U32((uint)Math.Min(duration, uint.MaxValue));
            w.U32(sap);
        }
        w.End(box);
        long left = sidx.Size - w.Length;
        int free = -1;
        if (left > 0)
        {
            // A dropped reference frees 12 bytes: always room for a free box's header.
            free = w.Begin(FourCc.Free);
        }
        byte[] written = w.ToArray();
        if (free >= 0)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(written.AsSpan(free), (uint)left);
        }
        return new Edits.Patch(sidx.Offset, written.Length, written);
    }
}

/// <summary>
/// The movie fragment random access box (mfra, §8.8.9) after the fragments, written again
/// for a fragment cut: each track's entries (tfra) for the fragments that stay, with their
/// moof offsets where those are after the cut and their times less what the track lost
/// before them; mfro, its last box, given the new size.
/// </summary>
internal static class RandomAccessIndex
{
    private const long MaxBytes = 64 << 20;

    /// <exception cref="InvalidDataException">A damaged mfra.</exception>
    internal static byte[] Rewrite(Movie movie, Box mfra, FragmentLayout layout, string path)
    {
        string at = $"mfra at offset {mfra.Offset}";
        byte[] bytes = FragmentIndexRead.Box(movie, mfra, MaxBytes, at);
        Box root = mfra with { Offset = 0 };
        var w = new BoxWriter();
        int start = w.Begin(FourCc.Mfra);
        foreach (Box child in Boxes.Children(bytes, root, at))
        {
            if (child.Name == "tfra")
            {
                Entries(w, bytes, child, layout, $"{at}/tfra");
            }
            else if (child.Name == "mfro")
            {
                var r = new FieldReader(bytes, child, $"{at}/mfro");
                (byte version, uint flags) = r.FullBox();
                int box = w.FullBox(FourCc.Of("mfro"), version, flags);
                w.U32((uint)(w.Length - start + 4)); // the whole mfra, this field the last of it
                w.End(box);
            }
            else
            {
                w.Copy(bytes, child);
            }
        }
        w.End(start);
        return w.ToArray();
    }

    private static void Entries(BoxWriter w, byte[] bytes, Box tfra, FragmentLayout layout, string at)
    {
        var r = new FieldReader(bytes, tfra, at);
        (byte version, uint flags) = r.FullBox();
        uint trackId = r.U32();
        uint lengths = r.U32();
        int numbers = (int)(((lengths >> 4) & 3) + ((lengths >> 2) & 3) + (lengths & 3) + 3);
        int n = r.Count((version == 1 ? 16 : 8) + numbers);
        var entries = new List<(long Time, long Moof, byte[] Numbers)>(n);
        for (int i = 0; i < n; i++)
        {
            long time = r.Sized(version), moof = r.Sized(version);
            byte[] rest = r.Take(numbers).ToArray();
            int k = layout.SpanAt(moof);
            if (k >= 0 && layout.Removed(k))
            {
                continue;
            }
            if (k >= 0 && layout.Rewritten(k) is { } rewritten && rewritten.TrackId == trackId && !Renumbered(rest, lengths, rewritten.Numbers))
            {
                continue; // a sample the join left out, or one whose new number does not fit its field
            }
            entries.Add((k >= 0 ? time - layout.LostBefore(k, (int)trackId) : time, layout.NewOffset(moof), rest));
        }
        int box = w.FullBox(FourCc.Of("tfra"), version, flags);
        w.U32(trackId);
        w.U32(lengths);
        w.U32((uint)entries.Count);
        foreach ((long time, long moof, byte[] rest) in entries)
        {
            if (version == 1)
            {
                w.U64((ulong)time);
                w.U64((ulong)moof);
            }
            else
            {
                w.U32((uint)time);
                w.U32((uint)moof);
            }
            w.Bytes(rest);
        }
        w.End(box);
    }

    /// <summary>An entry's trun and sample numbers (<paramref name="numbers"/>: traf, trun
    /// and sample number, each as many bytes as <paramref name="lengths"/> says) made those of
    /// the same sample in a rewritten track fragment; false where it was left out, or its new
    /// numbers do not fit their fields.</summary>
    private static bool Renumbered(byte[] numbers, uint lengths, RunNumbers runs)
    {
        int traf = (int)((lengths >> 4) & 3) + 1, trun = (int)((lengths >> 2) & 3) + 1, sample = (int)(lengths & 3) + 1;
        long Read(int at, int n)
        {
            long v = 0;
            for (int i = 0; i < n; i++)
            {
                v = v << 8 | numbers[at + i];
            }
            return v;
        }
        bool Write(int at, int n, long v)
        {
            if (n < 8 && v >> (8 * n) != 0)
            {
                return false;
            }
            for (int i = n - 1; i >= 0; i--, v >>= 8)
            {
                numbers[at + i] = (byte)v;
            }
            return true;
        }
        if (runs.Now(Read(traf, trun), Read(traf + trun, sample)) is not { } now)
        {
            return false;
        }
        return Write(traf, trun, now.Run) && Write(traf + trun, sample, now.Sample);
    }
}

/// <summary>Reading an index box whole (they are small: a few bytes a fragment).</summary>
internal static class FragmentIndexRead
{
    internal static byte[] Box(Movie movie, Box box, long max, string what)
    {
        if (box.Size > max)
        {
            throw new InvalidDataException($"the {what} claims {box.Size} bytes, more than any index needs (a corrupt file)");
        }
        byte[] bytes = new byte[box.Size];
        if (MediaReads.Read(movie.File, bytes, box.Offset) != bytes.Length)
        {
            throw new InvalidDataException($"the {what} is truncated: the file ended while reading it");
        }
        return bytes;
    }
}
