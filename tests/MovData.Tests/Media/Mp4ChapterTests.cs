using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using MovData.Media;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// Chapters after a cut of an MP4 that has them as ffmpeg writes them (a QuickTime text track
/// and a Nero chpl), judged by ffprobe -show_chapters and by the chpl read back: each chapter
/// is shown for the time it was shown outside the ranges, from where that time is after the
/// cut; one shown only inside a range is gone. The saved movie's chpl has the chapters of
/// its time. Before, a cut dropped a chapter whose middle lay in a range (as for an audio
/// frame) and left the chpl as it was, in the recording and in the saved movie.
/// </summary>
public sealed class Mp4ChapterTests
{
    /// <summary>Ranges on "mp4-chapters" (keyframes every 2 s; Intro 0-4, Middle 4-8, End
    /// 8-12), the chapters after (title, start and end in seconds), and those of the saved
    /// movie (it shows the removed ranges one after another).</summary>
    public static readonly TheoryData<string, string, string, string> Cases = new()
    {
        // A range across a chapter's change: the one before shown to the join, the one after from it.
        { "across a change", "2-6", "Intro 0-2, Middle 2-4, End 4-8", "Intro 0-2, Middle 2-4" },
        // Snapped to 0-4: all of Intro went.
        { "the head, a chapter whole", "0-5", "Middle 0-4, End 4-8", "Intro 0-4" },
        // Snapped to 6-8, inside Middle, and the tail, inside End.
        { "inside one, and the tail", "5-9 10-12", "Intro 0-4, Middle 4-6, End 6-8", "Middle 0-2, End 2-4" },
        // From a chapter's start: into it, and all of it.
        { "from a chapter's start", "4-6", "Intro 0-4, Middle 4-6, End 6-10", "Middle 0-2" },
        { "a chapter whole", "4-8", "Intro 0-4, End 4-8", "Middle 0-4" },
        // The tail, from a chapter's start and from inside one.
        { "the tail from a chapter's start", "8-12", "Intro 0-4, Middle 4-8", "End 0-4" },
        { "the tail from inside one", "6-12", "Intro 0-4, Middle 4-6", "Middle 0-2, End 2-6" },
    };

    [Theory, MemberData(nameof(Cases))]
    public void Cut_ChaptersMoveWithTheTimeTheyShow(string name, string ranges, string expected, string saved)
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo(Recordings.ChaptersMovie, dir);
        string ads = dir.File("ads.mp4");
        Assert.Equal("Intro 0-4, Middle 4-8, End 8-12", Chapters(rec));

        MediaFile.Cut(rec, Ranges(ranges), new CutOptions { SaveRemovedTo = ads }, cancel: TestContext.Current.CancellationToken);

        Assert.True(Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim() == "", name);
        Assert.Equal(expected, Chapters(rec));
        Assert.Equal(Starts(expected), NeroChapters(rec));
        // The saved movie's text track (ffprobe reads it over the chpl) and its chpl: each
        // chapter for the time it was shown inside the ranges. Before, its text track held only
        // the chapters shown wholly inside them, from its start: "End 0-4, End 2-6" for 6-12.
        Assert.Equal(saved, Chapters(ads));
        Assert.Equal(Starts(saved), NeroChapters(ads));
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", ads, "-map", "0", "-f", "null", "-").Output.Trim());
    }

    /// <summary>Ranges on the fragmented chapter movies (fragments of 2 s, from 0, 2.021,
    /// 4.021, ...: ffmpeg's remux of the AAC's priming; chapters as in "mp4-chapters"), the
    /// chpl's chapters after (title and start), and the saved movie's as ffprobe shows them.
    /// Each on "mp4-chapters-fragmented" (empty_moov) and "mp4-chapters-split" (moov indexes the
    /// first fragment, the chapter track's samples with it; before, refused with exit 3).</summary>
    public static readonly TheoryData<string, string, string, string> FragmentedCases = new(
        from movie in new[] { Recordings.ChaptersFragmentedMovie, Recordings.ChaptersSplitMovie }
        from c in new[]
        {
            ("2-6.1", "Intro 0, Middle 2.021, End 4", "Intro 0-1.979, Middle 1.979-4"),
            ("0-4.1", "Middle 0, End 3.979", "Intro 0-4, Middle 4-4.021"),
            ("4-8.1", "Intro 0, Middle 4, End 4.021", "Middle 0-3.979, End 3.979-4"),
            ("6-12.1", "Intro 0, Middle 4", "Middle 0-1.979, End 1.979-5.979"),
        }
        select (movie, c.Item1, c.Item2, c.Item3));

    /// <summary>
    /// A fragmented MP4's chpl, in moov before the fragments, is written again in its place
    /// (shorter where a chapter went, a free box after it), or in the moov written again where
    /// the first fragment goes; the saved movie has the chapters of its time. The chapter
    /// track's samples stay as they were in the first fragment (or moov's tables): with
    /// empty_moov their durations are the fragment's one default, which cannot take each
    /// chapter's own in place (docs/media.md), and ffprobe reads them over the chpl while they
    /// are there; where the first fragment goes, it shows the chpl's. Undone byte for byte.
    /// </summary>
    [Theory, MemberData(nameof(FragmentedCases))]
    public void Cut_Fragmented_TheChplMovesAndTheSavedMovieShowsItsTime(string movie, string ranges, string expected, string saved)
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo(movie, dir);
        string ads = dir.File("ads.mp4");
        byte[] before = File.ReadAllBytes(rec);
        Assert.Equal("Intro 0, Middle 4, End 8", NeroChapters(rec));

        MediaFile.Cut(rec, Ranges(ranges), new CutOptions { SaveRemovedTo = ads }, cancel: TestContext.Current.CancellationToken);

        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim());
        Assert.Equal(expected, NeroChapters(rec));
        if (ranges.StartsWith("0-", StringComparison.Ordinal))
        {
            Assert.Equal(expected, Starts(Chapters(rec)));
        }
        Assert.Equal(saved, Chapters(ads));
        Assert.Equal(Starts(saved), NeroChapters(ads));
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", ads, "-map", "0", "-f", "null", "-").Output.Trim());
        Assert.True(new FileInfo(rec).Length < before.Length);

        MediaFile.Restore(rec, ads, cancel: TestContext.Current.CancellationToken);
        Assert.Equal(before, File.ReadAllBytes(rec));
    }

    /// <summary>
    /// The fragmented chapter movie with chapters of different lengths (Intro 0-3, Middle 3-7,
    /// End 7-12 s: the first fragment's run gives each its own duration), cut at 8-10.5 s
    /// (8.021-10.021), after the last chapter's start. The chpl's End stays at 7; the chapter
    /// track's samples stay as they were (as in the cases above), which ffprobe shows. Taken
    /// for a subtitle track, End's duration was ended where the range starts (8.021 s), and
    /// nothing after the join was in any chapter; the track's tref/chap names it a chapter
    /// track now, which the cut leaves alone.
    /// </summary>
    [Fact]
    public void Cut_FragmentedUnevenChapters_AfterTheLastStart_TheChapterTrackStays()
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo(Recordings.ChaptersUnevenFragmentedMovie, dir);
        string ads = dir.File("ads.mp4");
        byte[] before = File.ReadAllBytes(rec);
        string chapters = Chapters(rec);
        Assert.Equal("Intro 0-3, Middle 3-7, End 7-12", chapters);

        MediaFile.Cut(rec, Ranges("8-10.5"), new CutOptions { SaveRemovedTo = ads }, cancel: TestContext.Current.CancellationToken);

        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim());
        Assert.Equal("Intro 0, Middle 3, End 7", NeroChapters(rec));
        Assert.Equal(chapters, Chapters(rec));
        Assert.True(new FileInfo(rec).Length < before.Length);

        MediaFile.Restore(rec, ads, cancel: TestContext.Current.CancellationToken);
        Assert.Equal(before, File.ReadAllBytes(rec));
    }

    /// <summary>
    /// "mp4-chapters" with its tref's chap reference damaged (its size 4 bytes past its
    /// tref's end): the cut reads which track holds chapters from it, but nothing it writes
    /// rests on it, so it cuts as on the whole file (ffmpeg reads the file too). Read strictly,
    /// as the rest of moov is, it refused every MP4 so damaged.
    /// </summary>
    [Fact]
    public void Cut_DamagedChapterReference_CutsAsWithout()
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo(Recordings.ChaptersMovie, dir);
        byte[] bytes = File.ReadAllBytes(rec);
        int tref = bytes.AsSpan().IndexOf("tref"u8) - 4;
        Assert.True(tref > 0 && bytes.AsSpan(tref + 12, 4).SequenceEqual("chap"u8), "no tref/chap in the recording");
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(tref + 8), BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(tref + 8)) + 4);
        File.WriteAllBytes(rec, bytes);

        MediaFile.Cut(rec, Ranges("4-8"), new CutOptions(), cancel: TestContext.Current.CancellationToken);

        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim());
        Assert.Equal("Intro 0, End 4", NeroChapters(rec));
    }

    /// <summary>Ranges on "mp4-chapters-late" (its video 1.5 s after the sound and the
    /// chapters: a range's times are 1.5 s later on the chapters' clock), the chapters' starts
    /// after, and the saved movie's (which keeps the delay where it holds the head, with what
    /// was shown before the first picture).</summary>
    public static readonly TheoryData<string, string, string> LateCases = new()
    {
        // Movie time 3.5-7.5 s: Middle from 4 goes to the join, at 3.5; End from 8 to 4.
        // The saved movie starts with the range, its video's delay gone with the time before it.
        { "2-6", "Intro 0, Middle 3.5, End 4", "Intro 0, Middle 0.5" },
        // The head takes all before 3.5 s, the sound before the first picture too: Intro
        // keeps its last 0.5 s, from 0; the saved movie holds 0-3.5 s as it was.
        { "0-2", "Intro 0, Middle 0.5, End 4.5", "Intro 0" },
        { "0-2 6-8", "Intro 0, Middle 0.5, End 4", "Intro 0, Middle 3.5, End 4" },
    };

    /// <summary>
    /// Where the video is delayed, ffprobe's chapters (the text track's) and the chpl's agree,
    /// in the cut and in the saved movie. Before, a cut of the head left a text that it took
    /// part of starting inside the edit list, which ffprobe shows a text early (Middle at 0
    /// for 0.5), and the saved movie's texts started at 0 where its chpl's started after
    /// the video's delay (and, with the head, left out what was shown before the first picture).
    /// </summary>
    [Theory, MemberData(nameof(LateCases))]
    public void Cut_DelayedVideo_TextTrackAndChplAgree(string ranges, string expected, string saved)
    {
        using ScratchDir dir = Scratch.On("xfs");
        string rec = Recordings.CopyTo(Recordings.ChaptersLateMovie, dir);
        string ads = dir.File("ads.mp4");
        Assert.Equal("Intro 0, Middle 4, End 8", Starts(Chapters(rec)));
        Assert.Equal("Intro 0, Middle 4, End 8", NeroChapters(rec));

        MediaFile.Cut(rec, Ranges(ranges), new CutOptions { SaveRemovedTo = ads }, cancel: TestContext.Current.CancellationToken);

        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", rec, "-map", "0", "-f", "null", "-").Output.Trim());
        Assert.Equal(expected, Starts(Chapters(rec)));
        Assert.Equal(expected, NeroChapters(rec));
        Assert.Equal(saved, Starts(Chapters(ads)));
        Assert.Equal(saved, NeroChapters(ads));
        Assert.Equal("", Tools.Run("ffmpeg", "-v", "error", "-i", ads, "-map", "0", "-f", "null", "-").Output.Trim());
    }

    private static TimeRange[] Ranges(string ranges) =>
        [.. ranges.Split(' ').Select(r => r.Split('-')).Select(r => new TimeRange(double.Parse(r[0], CultureInfo.InvariantCulture), double.Parse(r[1], CultureInfo.InvariantCulture)))];

    /// <summary>"title start-end, ..." as "title start, ...".</summary>
    private static string Starts(string chapters) => string.Join(", ", chapters.Split(", ").Select(c => c[..c.LastIndexOf('-')]));

    /// <summary>The chapters as ffprobe shows them: "title start-end, ...", in seconds.</summary>
    private static string Chapters(string path)
    {
        (int code, string output, string err) = Tools.Capture("ffprobe", "-v", "error", "-show_chapters", "-of", "json", path);
        Assert.True(code == 0, err);
        using JsonDocument doc = JsonDocument.Parse(output);
        static string S(JsonElement c, string p) => double.Parse(c.GetProperty(p).GetString()!, CultureInfo.InvariantCulture).ToString("0.###", CultureInfo.InvariantCulture);
        return string.Join(", ", doc.RootElement.GetProperty("chapters").EnumerateArray()
            .Select(c => $"{c.GetProperty("tags").GetProperty("title").GetString()} {S(c, "start_time")}-{S(c, "end_time")}"));
    }

    /// <summary>The chpl's chapters alone (ffprobe merges them with the text track's): "title start, ...".</summary>
    private static string NeroChapters(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        int at = b.AsSpan().IndexOf("chpl"u8);
        Assert.True(at > 0, "no chpl");
        int p = at + 8 + (b[at + 4] == 1 ? 4 : 0);
        int n = b[p++];
        var chapters = new List<string>();
        for (int i = 0; i < n; i++)
        {
            double start = BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(p)) / 1e7;
            int length = b[p + 8];
            chapters.Add($"{System.Text.Encoding.UTF8.GetString(b, p + 9, length)} {start.ToString("0.###", CultureInfo.InvariantCulture)}");
            p += 9 + length;
        }
        return string.Join(", ", chapters);
    }
}
