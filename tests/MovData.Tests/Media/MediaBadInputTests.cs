using MovData.Media;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// docs/bad-inputs.md's rows for `movdata cut` and `movdata info`: each mistaken input, on
/// every scratch filesystem, gets the documented exit code and a message that says what was
/// wrong, and no byte of the recording (or of an existing --save-removed target) changes.
/// </summary>
public sealed class MediaBadInputTests
{
    /// <summary>A row: the file to make (from a recording, or bytes of its own), the arguments
    /// after `movdata` ({rec} is the file, {dir} its directory), the exit code on each
    /// filesystem, and words the error must contain.</summary>
    public sealed record Row(string Id, Func<ScratchDir, string> Make, string[] Args, Func<FsKind, int> Exit, string Says);

    private static Func<ScratchDir, string> Recording(string kind = "h264-aac") => dir => Recordings.CopyTo(kind, dir, "rec.ts");

    private static Func<ScratchDir, string> Bytes(Func<byte[]> bytes) => dir =>
    {
        string path = dir.File("rec.ts");
        File.WriteAllBytes(path, bytes());
        return path;
    };

    private static Func<FsKind, int> Always(int code) => _ => code;

    public static readonly Row[] Rows =
    [
        new("cut-not-a-recording", Bytes(() => Files.Pattern(91, 300_000)), ["cut", "{rec}", "--remove", "1-2"], Always(2), "not an MPEG-TS, M2TS, MP4 or MOV recording"),
        new("cut-mp4-file", Bytes(() => [0, 0, 0, 0x20, .. "ftypisom"u8, .. new byte[4000]]), ["cut", "{rec}", "--remove", "1-2"], Always(2), "no moov box"),
        new("cut-mp4-fragmented-split-index-sidx", Movie("mp4-fragmented-split-sidx"), ["cut", "{rec}", "--remove", "4-6"], Always(3), "its first samples are indexed in moov and the rest in fragments, and it has a segment index (sidx)"),
        new("cut-mp4-fragmented-split-index-edit-list", Movie("mp4-fragmented-split-edit-list"), ["cut", "{rec}", "--remove", "4-6"], Always(3), "and track 1 has an edit list, written when only the first fragment was known"),
        new("cut-mp4-fragmented-split-index-timecode", Movie("mp4-fragmented-split-timecode"), ["cut", "{rec}", "--remove", "4-6"], Always(3), "its track 3 (tmcd) has samples only in moov's tables, before the fragments"),
        new("cut-mp4-fragmented-exact", Movie("mp4-fragmented"), ["cut", "{rec}", "--remove", "4-6", "--exact"], Always(3), "--exact would cut inside a fragment"),
        new("cut-mp4-zero-copy-only-where-the-tail-would-be-copied", Movie("mp4-h264-aac"), ["cut", "{rec}", "--remove", "4-6", "--zero-copy-only"],
            fs => fs.ShiftMethod == RangeMethod.Copy ? 3 : 0, "--zero-copy-only forbids that"),
        new("info-mp4-no-moov", Movie("mp4-h264-aac", UpToMoov), ["info", "{rec}"], Always(2), "no moov box: an unfinished recording"),
        new("cut-mp4-no-moov", Movie("mp4-h264-aac", UpToMoov), ["cut", "{rec}", "--remove", "4-6"], Always(2), "no moov box: an unfinished recording"),
        new("info-mp4-truncated-moov", Movie("mp4-h264-aac", b => b[..^100]), ["info", "{rec}"], Always(2), "is truncated"),
        new("cut-mp4-truncated-moov", Movie("mp4-h264-aac", b => b[..^100]), ["cut", "{rec}", "--remove", "4-6"], Always(2), "is truncated"),
        new("info-mp4-cut-short-after-moov", Movie("mp4-faststart", b => b[..(b.Length / 2)]), ["info", "{rec}"], Always(2), "its tables point outside the file"),
        new("info-mp4-chunk-offset-past-end", Movie("mp4-h264-aac", ChunkOffsetPastEnd), ["info", "{rec}"], Always(2), "its tables point outside the file"),
        new("info-mp4-fragment-past-end", Movie("mp4-fragmented", b => b[..(b.Length - 1000)]), ["info", "{rec}"], Always(2), "its index points outside the file"),
        new("info-mp4-box-larger-than-moov", Movie("mp4-h264-aac", TrakLargerThanMoov), ["info", "{rec}"], Always(2), "(a truncated or corrupt moov)"),
        new("info-mp4-no-video-or-audio", Bytes(() => File.ReadAllBytes(SubtitlesOnlyMp4())), ["info", "{rec}"], Always(2), "no video or audio track with samples (found sbtl (mov_text))"),
        new("cut-mp4-no-video-or-audio", Bytes(() => File.ReadAllBytes(SubtitlesOnlyMp4())), ["cut", "{rec}", "--remove", "1-2"], Always(2), "a cut is made on the video's keyframes, or without video on the audio's frames"),
        new("cut-empty-file", Bytes(() => []), ["cut", "{rec}", "--remove", "1-2"], Always(2), "empty"),
        new("info-directory", Recording(), ["info", "{dir}"], Always(2), "is a directory"),
        new("cut-directory", Recording(), ["cut", "{dir}", "--remove", "4-9"], Always(2), "is a directory"),
        new("info-not-a-recording", Bytes(() => Files.Pattern(92, 300_000)), ["info", "{rec}"], Always(2), "not an MPEG-TS, M2TS, MP4 or MOV recording"),
        new("cut-no-video-or-audio", Bytes(DataOnly), ["cut", "{rec}", "--remove", "1-2"], Always(2), "neither a video nor an audio stream"),
        new("info-no-video-or-audio", Bytes(DataOnly), ["info", "{rec}"], Always(2), "neither a video nor an audio stream"),
        new("cut-truncated-last-packet", dir =>
        {
            string rec = Recordings.CopyTo("h264-aac", dir, "rec.ts");
            using (var f = File.OpenHandle(rec, FileMode.Open, FileAccess.ReadWrite))
            {
                RandomAccess.SetLength(f, RandomAccess.GetLength(f) - 100);
            }
            return rec;
        }, ["cut", "{rec}", "--remove", "4-9"], Always(2), "truncate -s"),
        new("cut-reversed-range", Recording(), ["cut", "{rec}", "--remove", "9-4"], Always(2), "ends before it starts"),
        new("cut-empty-range", Recording(), ["cut", "{rec}", "--remove", "5-5"], Always(2), "the range '5-5' is empty: it ends where it starts"),
        new("cut-edl-empty-range", dir => WithEdl(dir, "10 10 0\n"), ["cut", "{rec}", "--edl", "{dir}/rec.edl"], Always(2), "EDL line 1: the range 10-10 is empty: it ends where it starts"),
        new("cut-range-without-end", Recording(), ["cut", "{rec}", "--remove", "6-"], Always(2), "'6-' is not a range: write FROM-TO, both ends"),
        new("cut-save-removed-directory-missing", Recording(), ["cut", "{rec}", "--remove", "4-9", "--save-removed", "{dir}/none/ads.ts"], Always(1), "nothing changed: the removed parts' file"),
        new("cut-save-removed-where-no-file-can-be", Recording(), ["cut", "{rec}", "--remove", "4-9", "--save-removed", "/proc/ads.ts"], Always(1),
            "nothing changed: making the journal directory /proc/.movdata-journal: ENOENT"),
        new("cut-save-removed-empty-name", Recording(), ["cut", "{rec}", "--remove", "4-9", "--save-removed", ""], Always(2), "--save-removed: give a file name for the removed parts, or auto"),
        new("cut-malformed-time", Recording(), ["cut", "{rec}", "--remove", "1:75-2:00"], Always(2), "is not a time"),
        new("cut-keep-not-a-number", Recording(), ["cut", "{rec}", "--keep", "NaN-4"], Always(2), "'NaN' is not a time"),
        new("cut-keep-everything", Recording(), ["cut", "{rec}", "--keep", "0-100"], Always(0), "nothing to cut: the recording (0:00:24.000) ends before the ranges to remove begin (with --keep: it is all kept)"),
        new("cut-keep-past-end", Recording(), ["cut", "{rec}", "--keep", "30-40"], Always(2), "the range 30-40 to keep starts at or after the end of the recording (24 s): nothing would be kept"),
        new("cut-mp4-keep-past-end", Movie("mp4-h264-aac"), ["cut", "{rec}", "--keep", "30-40"], Always(2), "the range 30-40 to keep starts at or after the end of the recording (12 s): nothing would be kept"),
        new("cut-keep-overlapping", Recording(), ["cut", "{rec}", "--keep", "2-9", "--keep", "8-12"], Always(2), "the ranges 2-9 and 8-12 to keep overlap or are out of order"),
        new("cut-keep-later-past-end", Recording(), ["cut", "{rec}", "--keep", "2-9", "--keep", "30-40"], Always(2), "the range 30-40 to keep starts at or after the end of the recording (24 s)"),
        new("cut-keep-no-frame-exact", Recording(), ["cut", "{rec}", "--keep", "3.005-3.01", "--exact"], Always(2), "the range 3.005-3.01 to keep holds no frame: nothing would be kept"),
        new("cut-exact-range-holds-no-frame", Recording(), ["cut", "{rec}", "--remove", "3.005-3.01", "--exact"], Always(0), "nothing to cut: no range holds a frame (--exact cuts at the frames nearest its ends): 3.005-3.01"),
        new("cut-overlapping-ranges", Recording(), ["cut", "{rec}", "--remove", "4-9", "--remove", "8-12"], Always(2), "overlap"),
        new("cut-range-past-end", Recording(), ["cut", "{rec}", "--remove", "30-40"], Always(2), "starts past the end"),
        new("cut-whole-recording", Recording(), ["cut", "{rec}", "--remove", "0-100"], Always(2), "removes the whole recording"),
        new("cut-touching-ranges-remove-everything", Recording(), ["cut", "{rec}", "--remove", "0-10", "--remove", "10-30"], Always(2), "remove the whole recording"),
        new("cut-no-ranges", Recording(), ["cut", "{rec}"], Always(2), "give the ranges one way"),
        new("cut-two-range-sources", Recording(), ["cut", "{rec}", "--remove", "4-9", "--keep", "2-20"], Always(2), "give the ranges one way"),
        new("cut-edl-malformed-line", dir => WithEdl(dir, "4 9 3\n12 fifteen 0\n"), ["cut", "{rec}", "--edl", "{dir}/rec.edl"], Always(2), "EDL line 2"),
        new("cut-edl-overlapping", dir => WithEdl(dir, "4 9 3\n# a comment\n8 12 0\n"), ["cut", "{rec}", "--edl", "{dir}/rec.edl"], Always(2), "EDL line 3"),
        new("cut-stale-edl-unreadable", dir => WithEdl(dir, "4 9 3\n12 fifteen 0\n"), ["cut", "{rec}", "--remove", "4-9"], Always(2),
            "rec.edl, the EDL players apply to this recording, cannot be read (EDL line 2: '12 fifteen 0' is not 'start end type' (seconds, seconds, a type number)); a cut would leave it pointing at the wrong times: fix it or remove it"),
        new("cut-edl-nothing-to-cut", dir => WithEdl(dir, "4 9 1\n12 14 2\n"), ["cut", "{rec}", "--edl", "{dir}/rec.edl"], Always(0), "nothing to cut: the EDL"),
        new("cut-comskip-ini-without-edl-auto", WithIni(), ["cut", "{rec}", "--remove", "4-9", "--comskip-ini", "{dir}/comskip.ini"], Always(2), "--comskip-ini is for --edl auto"),
        new("cut-edl-auto-comskip-ini-missing", Recording(), ["cut", "{rec}", "--edl", "auto", "--comskip-ini", "{dir}/none.ini"], Always(2), "none.ini: no such file"),
        new("cut-wait-not-seconds", Recording(), ["cut", "{rec}", "--remove", "4-9", "--wait=soon"], Always(2), "give whole seconds"),
        new("cut-dry-run-save-removed-exists", dir =>
        {
            File.WriteAllText(dir.File("ads.ts"), "keep me");
            return Recordings.CopyTo("h264-aac", dir, "rec.ts");
        }, ["cut", "{rec}", "--remove", "4-9", "--save-removed", "{dir}/ads.ts", "--dry-run"], Always(1), "exists"),
        new("cut-immutable-file", dir =>
        {
            string rec = Recordings.CopyTo("h264-aac", dir, "rec.ts");
            Tools.MustRun("chattr", "+i", rec);
            return rec;
        }, ["cut", "{rec}", "--remove", "4-9"], Always(1), "immutable"),
        new("cut-mp4-save-removed-named-ts", Movie("mp4-h264-aac"), ["cut", "{rec}", "--remove", "4-6", "--save-removed", "{dir}/ads.ts"], Always(2),
            "the removed parts of an MP4 or MOV recording are an MP4 or MOV file, and ads.ts is named as an MPEG-TS or M2TS one: name it .mp4, .m4v or .mov"),
        new("cut-save-removed-named-mp4", Recording(), ["cut", "{rec}", "--remove", "4-9", "--save-removed", "{dir}/ads.MP4", "--dry-run"], Always(2),
            "and ads.MP4 is named as an MP4 or MOV one: name it .ts, .m2ts or .mts"),
        new("cut-saved-parts", SavedParts("h264-aac", "rec.ts", "ads.ts"), ["cut", "{rec}", "--remove", "1-2"], Always(2),
            "ads.ts holds the parts a cut removed from a recording, with what undoes that cut (`movdata restore RECORDING "),
        new("cut-mp4-saved-parts", SavedParts("mp4-h264-aac", "rec.mp4", "ads.mp4"), ["cut", "{rec}", "--remove", "1-2"], Always(2),
            "ads.mp4 holds the parts a cut removed from a recording"),
        new("cut-save-removed-exists", dir =>
        {
            File.WriteAllText(dir.File("ads.ts"), "keep me");
            return Recordings.CopyTo("h264-aac", dir, "rec.ts");
        }, ["cut", "{rec}", "--remove", "4-9", "--save-removed", "{dir}/ads.ts"], Always(1), "exists"),
        new("cut-zero-copy-only-where-the-tail-would-be-copied", Recording(), ["cut", "{rec}", "--remove", "4-9", "--zero-copy-only"],
            fs => fs.ShiftMethod == RangeMethod.Copy ? 3 : 0, "--zero-copy-only forbids that"),
    ];

    public static TheoryData<string, string> Cases() => Scratch.EveryFileSystemWith(Rows.Select(r => r.Id));

    [Theory, MemberData(nameof(Cases))]
    public void BadInput_GetsTheDocumentedExitAndMessage_AndChangesNothing(string fs, string id)
    {
        Row row = Rows.Single(r => r.Id == id);
        using ScratchDir dir = Scratch.On(fs);
        string rec = row.Make(dir);
        Snapshot[] before = [.. Directory.GetFiles(dir.Path).Order().Select(Files.Take)];
        int expected = row.Exit(dir.Kind);
        (int code, string output, string err) = CliProcess.Movdata([.. row.Args.Select(a => a.Replace("{rec}", rec, StringComparison.Ordinal).Replace("{dir}", dir.Path, StringComparison.Ordinal))]);
        Tools.Run("chattr", "-i", rec);

        Assert.True(expected == code, $"{id} on {fs}: exit {code}, expected {expected}: {err}{output}");
        if (code == 0 && row.Says.StartsWith("nothing to cut", StringComparison.Ordinal))
        {
            // Not an error: said on standard output, and nothing changed all the same.
            Assert.Contains(row.Says, output, StringComparison.Ordinal);
            Assert.Equal(before, Directory.GetFiles(dir.Path).Order().Select(Files.Take));
        }
        if (code != 0)
        {
            Assert.Contains(row.Says, err, StringComparison.Ordinal);
            Assert.DoesNotContain("(Parameter '", err, StringComparison.Ordinal); // .NET's text, not the tool's
            Assert.Equal(1, err.Count(c => c == '\n')); // one line
            Assert.Equal(before, Directory.GetFiles(dir.Path).Order().Select(Files.Take));
            Assert.False(Directory.Exists(dir.File(".movdata-journal")), "a refused cut left a journal behind");
        }
    }

    /// <summary>An MP4 or MOV recording, as ffmpeg made it or as <paramref name="change"/> damages it.</summary>
    private static Func<ScratchDir, string> Movie(string kind, Func<byte[], byte[]>? change = null) => dir =>
    {
        string source = Recordings.Path(kind);
        string path = dir.File($"rec{System.IO.Path.GetExtension(source)}");
        File.WriteAllBytes(path, (change ?? (b => b))(File.ReadAllBytes(source)));
        return path;
    };

    /// <summary>Where a four-character box type first occurs from <paramref name="from"/>, less 4: its box's start.</summary>
    private static int BoxAt(byte[] file, string type, int from = 0) => file.AsSpan(from).IndexOf(System.Text.Encoding.ASCII.GetBytes(type)) + from - 4;

    /// <summary>A recording stopped before its muxer wrote moov: everything before it.</summary>
    private static byte[] UpToMoov(byte[] file) => file[..BoxAt(file, "moov", file.Length / 2)];

    /// <summary>The first chunk offset of the first stco points 256 bytes before 2^31: far past the end.</summary>
    private static byte[] ChunkOffsetPastEnd(byte[] file)
    {
        int stco = BoxAt(file, "stco", BoxAt(file, "moov", file.Length / 2));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(stco + 16), 0x7FFFFF00);
        return file;
    }

    /// <summary>The first trak claims more bytes than its moov holds.</summary>
    private static byte[] TrakLargerThanMoov(byte[] file)
    {
        int trak = BoxAt(file, "trak", BoxAt(file, "moov", file.Length / 2));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(trak), 0x00FFFFFF);
        return file;
    }

    /// <summary>An MP4 of subtitles alone (an audio-only one is cut on its audio: <see cref="Mp4AudioOnlyTests"/>).</summary>
    private static readonly Lazy<string> SubtitlesOnlyMovie = new(() =>
    {
        Recordings.RequireFfmpeg();
        string srt = Path.Combine(Path.GetTempPath(), $"movdata-subtitles-only-{Environment.ProcessId}.srt");
        string path = Path.ChangeExtension(srt, ".mp4");
        File.WriteAllText(srt, "1\n00:00:01,000 --> 00:00:03,000\nOne\n\n2\n00:00:04,000 --> 00:00:06,000\nTwo\n");
        Tools.MustRun("ffmpeg", "-v", "error", "-y", "-i", srt, "-c:s", "mov_text", path);
        return path;
    });

    private static string SubtitlesOnlyMp4() => SubtitlesOnlyMovie.Value;

    private static Func<ScratchDir, string> WithIni() => dir =>
    {
        File.WriteAllText(dir.File("comskip.ini"), "output_edl=1\n");
        return Recordings.CopyTo("h264-aac", dir, "rec.ts");
    };

    /// <summary>The file of removed parts of a cut of 2-8 s with --save-removed: the path given as {rec}.</summary>
    private static Func<ScratchDir, string> SavedParts(string kind, string name, string saved) => dir =>
    {
        string rec = Recordings.CopyTo(kind, dir, name);
        MediaFile.Cut(rec, [new(2, 8)], new CutOptions { SaveRemovedTo = dir.File(saved) }, cancel: TestContext.Current.CancellationToken);
        return dir.File(saved);
    };

    private static string WithEdl(ScratchDir dir, string edl)
    {
        File.WriteAllText(dir.File("rec.edl"), edl);
        return Recordings.CopyTo("h264-aac", dir, "rec.ts");
    }

    /// <summary>A transport stream whose one stream is private data (stream type 0x06, no
    /// descriptor): the radio recording with its PMT saying so, CRC and all.</summary>
    private static byte[] DataOnly()
    {
        byte[] ts = File.ReadAllBytes(Recordings.Path("radio-mp2"));
        const int pmtPid = 0x1000; // where ffmpeg puts the PMT
        int changed = 0;
        for (int i = 0; i + 188 <= ts.Length; i += 188)
        {
            if (PacketJudge.Pid(ts.AsSpan(i)) == pmtPid)
            {
                int at = i + 4 + 1 + ts[i + 4];
                int length = ((ts[at + 1] & 0x0F) << 8) | ts[at + 2];
                int streams = at + 12 + (((ts[at + 10] & 0x0F) << 8) | ts[at + 11]);
                Assert.True(ts[streams] is 0x03 or 0x04, $"stream type 0x{ts[streams]:x2}, not MPEG audio");
                ts[streams] = 0x06;
                BroadcastInjector.WithCrc(ts[at..(at + 3 + length - 4)]).CopyTo(ts, at);
                changed++;
            }
        }
        Assert.True(changed > 0, "no PMT on PID 0x1000");
        return ts;
    }
}
