using MovData.Media.Codecs;

namespace MovData.Media.IsoBmff;

/// <summary>
/// The HEVC joins of an MP4 or MOV cut: the CRA picture a join resumes on is marked a broken
/// link (BLA_W_LP, <see cref="VideoCodec.BrokenLinkMarks"/>), as a transport stream's is, a
/// byte of each slice's NAL unit header. A decoder then counts picture order afresh from it.
/// Left a CRA, it counted on from the pictures kept before the join, and where the CRA came
/// out below them ffmpeg put frames out with falling timestamps ("non monotonically increasing
/// dts", six frames of the suite's x265 open GOPs cut from 2 to 10 s). Its leading pictures, whose
/// references are gone, are dropped from the tables already (<see cref="MovieCut.VideoRemoved"/>);
/// in a fragmented file, cut by whole fragments (<see cref="FragmentCut"/>), they stay, and a
/// decoder skips them after a BLA (RASL pictures; ffmpeg reported duplicate picture order
/// counts and falling timestamps there before).
/// </summary>
internal static class BrokenLinks
{
    /// <summary>The one-byte writes (file offset, new value) that mark the picture each of
    /// <paramref name="cuts"/> resumes on, where the video is HEVC read as
    /// <see cref="NalSamples"/> and that picture a CRA (read whole: every slice is marked, or
    /// none); none otherwise.</summary>
    internal static List<(long Offset, byte Value)> Marks(Movie movie, IReadOnlyList<PlannedCut> cuts) =>
        Of(movie, cuts.Where(c => !c.Head && c.End < movie.Samples.Count).Select(c => (int)c.End));

    /// <summary>The same for a movie of runs of the video's samples (those
    /// <paramref name="keep"/> sets: a saved movie's ranges, one after another): the picture
    /// each run after the first begins with. Left a CRA, a decoder counted on from the run
    /// before it, and ffmpeg put the saved movie's frames out with falling timestamps where
    /// two of x265's ranges met.</summary>
    internal static List<(long Offset, byte Value)> RunMarks(Movie movie, bool[] keep) =>
        Of(movie, Enumerable.Range(1, Math.Max(0, keep.Length - 1)).Where(i => keep[i] && !keep[i - 1] && Array.IndexOf(keep, true) < i));

    private static List<(long Offset, byte Value)> Of(Movie movie, IEnumerable<int> resumes)
    {
        var marks = new List<(long Offset, byte Value)>();
        SampleList s = movie.Samples;
        if (movie.Lead.Codec != "hevc" || !NalSamples.Readable(movie.Lead))
        {
            return marks;
        }
        foreach (int e in resumes)
        {
            if (NalSamples.ReadWhole(movie, s, e) is not { } es)
            {
                continue;
            }
            marks.AddRange(VideoCodec.BrokenLinkMarks(VideoCodecKind.Hevc, es).Select(m => (s.Offset(e) + m.Index, m.Value)));
        }
        return marks;
    }
}
