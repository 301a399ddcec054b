namespace MovData.Media.IsoBmff;

/// <summary>
/// A fragmented MP4 read as runs of bytes, one a fragment, as its cut takes them
/// (<see cref="FragmentCut"/>): each from its moof (or the styp, prft or emsg boxes just
/// before it) to the next one's start; a first fragment that moov's tables index, the bytes
/// between moov and the first moof. What a cut of fragments does not rewrite is refused here.
/// </summary>
internal static class FragmentSpans
{
    /// <summary>
    /// The fragments as runs of bytes: each from its moof (or the styp, prft or emsg boxes just
    /// before it) to the next one's start; the last to the end of what follows its moof
    /// before an mfra. Refuses what this cut does not rewrite.
    /// </summary>
    internal static List<FragmentSpan> Read(Movie movie, string path)
    {
        if (movie.Tracks.FirstOrDefault(t => t.Edits.Count(e => !e.Empty) > 1) is { } edited)
        {
            throw new InvalidDataException($"{path} cannot be cut: track {edited.Id} has an edit list of {edited.Edits.Count(e => !e.Empty)} shown segments; nothing was changed");
        }
        IReadOnlyList<Box> top = movie.TopLevel;
        int firstMoof = top.ToList().FindIndex(b => b.Type == FourCc.Moof);
        if (top.Skip(firstMoof).FirstOrDefault(b => b.Type == FourCc.Sidx || b.Type == FourCc.Moov) is { Size: > 0 } among)
        {
            throw new NotSupportedException(
                $"{path} cannot be cut: it has a '{among.Name}' box among its fragments (offset {among.Offset}), which a cut of fragments does not rewrite; nothing was changed");
        }
        if (top.FirstOrDefault(b => b.Type == FourCc.Mfra) is { Size: > 0 } m && m.End != movie.Size)
        {
            throw new NotSupportedException($"{path} cannot be cut: its mfra box (offset {m.Offset}) is not the last box, where readers look for it; nothing was changed");
        }
        uint[] lead = [FourCc.Styp, FourCc.Of("prft"), FourCc.Of("emsg")];
        var starts = new List<long>();
        for (int i = firstMoof; i < top.Count; i++)
        {
            if (top[i].Type != FourCc.Moof)
            {
                continue;
            }
            int j = i;
            while (j > 0 && lead.Contains(top[j - 1].Type))
            {
                j--;
            }
            starts.Add(top[j].Offset);
        }
        // The last fragment ends with the last box of its data: mdat, or the moof itself.
        Box last = top.Last(b => b.Type == FourCc.Moof);
        long end = last.End;
        foreach (Box b in top.SkipWhile(b => b.Offset < last.End))
        {
            if (b.Type != FourCc.Mdat && b.Type != FourCc.Free && b.Type != FourCc.Skip)
            {
                break;
            }
            end = b.End;
        }
        var spans = new List<FragmentSpan>(movie.MovieFragments.Count + 1);
        int video = movie.Lead.Id;
        if (movie.IndexedInBoth)
        {
            spans.Add(FirstInMoov(movie, starts[0], path));
        }
        for (int k = 0; k < movie.MovieFragments.Count; k++)
        {
            MovieFragment f = movie.MovieFragments[k];
            long start = starts[k], stop = k + 1 < starts.Count ? starts[k + 1] : end;
            foreach (TrackFragment t in f.Tracks.Where(t => t.SampleCount > 0))
            {
                if (t.DataStart < start || t.DataEnd > stop)
                {
                    throw new NotSupportedException(
                        $"{path} cannot be cut: fragment {k + 1} (moof at offset {f.Moof.Offset}) has track {t.TrackId}'s samples at bytes {t.DataStart}-{t.DataEnd}, outside the fragment ({start}-{stop}), so it cannot go whole; nothing was changed");
                }
            }
            TrackFragment? v = f.Tracks.FirstOrDefault(t => t.TrackId == video && t.SampleCount > 0) is { SampleCount: > 0 } found ? found : null;
            spans.Add(new FragmentSpan(start, stop, f, v?.FirstSample ?? -1));
        }
        return spans;
    }

    /// <summary>
    /// The first fragment of a file whose first samples are indexed in moov (ffmpeg's
    /// frag_keyframe without empty_moov: ftyp, moov, the first fragment's mdat, then moof and
    /// mdat pairs): the bytes from moov's end to the first moof's fragment, whose samples
    /// moov's tables list (each track's first in its list). It goes or stays whole as any
    /// other; where it goes, moov's tables are emptied (<see cref="FragmentCut"/>).
    /// </summary>
    private static FragmentSpan FirstInMoov(Movie movie, long firstMoof, string path)
    {
        if (SplitIndexRefused(movie) is { } why)
        {
            throw new NotSupportedException($"{path} cannot be cut: {why}; nothing was changed");
        }
        long start = movie.Moov.End;
        var tracks = new List<TrackFragment>();
        foreach (Track t in movie.Tracks.Where(t => t.Table.Count > 0))
        {
            SampleList s = t.Fragments!.List;
            int n = (int)t.Table.Count;
            long dataStart = long.MaxValue, dataEnd = 0;
            for (int i = 0; i < n; i++)
            {
                dataStart = Math.Min(dataStart, s.Offset(i));
                dataEnd = Math.Max(dataEnd, s.Offset(i) + s.Size(i));
            }
            if (dataStart < start || dataEnd > firstMoof)
            {
                throw new NotSupportedException(
                    $"{path} cannot be cut: track {t.Id}'s samples that moov indexes lie at bytes {dataStart}-{dataEnd}, not between moov and the first fragment ({start}-{firstMoof}); nothing was changed");
            }
            tracks.Add(new TrackFragment(t.Id, -1, -1, 0, 0, s.Dts(0), 0, n, t.Table.TotalDuration, dataStart, dataEnd));
        }
        return new FragmentSpan(start, firstMoof, new MovieFragment(movie.Moov, tracks), 0);
    }

    /// <summary>Why a file whose first samples moov indexes cannot be cut, or null where it
    /// can (or they are not so indexed).</summary>
    internal static string? SplitIndexRefused(Movie movie) =>
        !movie.IndexedInBoth ? null
        : movie.TopLevel.Any(b => b.Type == FourCc.Sidx)
            ? "its first samples are indexed in moov and the rest in fragments, and it has a segment index (sidx), whose first reference a cut of the first fragment would have to rewrite"
        : movie.Lead.Table.Count == 0
            // Not ffmpeg's layout: moov holds some other track's samples (a timecode's, say),
            // which no cut point of the video lies after, so a cut of the head would drop them.
            ? $"moov's tables index samples of track {movie.Tracks.First(t => t.Table.Count > 0).Id} but none of the video's, which is all in fragments"
        : movie.Tracks.FirstOrDefault(t => t.Table.Count > 0 && t.Fragments!.Count == 0 && !t.ShowsText) is { } only
            // All of it in the first fragment (a timecode track's one sample): a cut of the head
            // would take it all. Not so a chapter track (ffmpeg writes all its samples there):
            // left with none, its chapters are the chpl's, which the cut moves.
            ? $"its track {only.Id} ({only.Codec}) has samples only in moov's tables, before the fragments, and a cut of the first fragment would leave it none"
        : movie.Tracks.FirstOrDefault(t => t.Edits.Count > 0) is { } edited
            // Written with the first fragment, an edit list shows only that fragment's time (ffmpeg writes none here).
            ? $"its first samples are indexed in moov and the rest in fragments, and track {edited.Id} has an edit list, written when only the first fragment was known"
        : null;
}

/// <summary>One fragment as bytes of the file: [Start, End), its moof (moov for the first
/// fragment of a file whose first samples moov indexes), and the number of its first video
/// sample in the video's list (-1: it has none).</summary>
internal sealed record FragmentSpan(long Start, long End, MovieFragment Fragment, int FirstVideoSample)
{
    /// <summary>Where the first picture this fragment removes (those from its video's
    /// <paramref name="videoKept"/>th on) is shown, as media time of <paramref name="track"/>:
    /// where a range that begins there begins on that track's clock.</summary>
    internal long ShownFrom(Movie movie, int videoKept, Track track)
    {
        TrackFragment video = Fragment.Tracks.First(t => t.TrackId == movie.Lead.Id && t.SampleCount > 0);
        long shownFrom = Enumerable.Range(video.FirstSample + videoKept, video.SampleCount - videoKept).Min(movie.Samples.Pts);
        return track.MediaTimeAt(movie.Lead.ShownAt(shownFrom, movie.MovieTimescale), movie.MovieTimescale);
    }
}
