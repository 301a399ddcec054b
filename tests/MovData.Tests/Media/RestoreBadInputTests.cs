using System.Diagnostics;
using MovData.Media;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// docs/bad-inputs.md's rows for `movdata restore`: each restore that does not fit, on every
/// scratch filesystem, exits 2 with a message that says why, and changes no byte (nor the
/// data layout) of the recording or the saved file.
/// </summary>
public sealed class RestoreBadInputTests
{
    /// <summary>A row: how to make the recording and the saved file (returned as REC and
    /// SAVED, both in the scratch directory), and words the error must contain.</summary>
    public sealed record Row(string Id, Func<ScratchDir, (string Rec, string Saved)> Make, string Says);

    /// <summary>A recording cut once with its removed parts saved to ads.ts.</summary>
    private static (string Rec, string Saved) CutOnce(ScratchDir dir)
    {
        string rec = Recordings.CopyTo("h264-aac", dir, "rec.ts");
        string saved = dir.File("ads.ts");
        MediaFile.Cut(rec, [new(4.5, 9), new(11.5, 15.5)], new CutOptions { SaveRemovedTo = saved });
        return (rec, saved);
    }

    /// <summary>An MP4 (moov at the end) cut once with its removed parts saved to ads.mp4.</summary>
    private static (string Rec, string Saved) CutMp4Once(ScratchDir dir)
    {
        string rec = Recordings.CopyTo("mp4-h264-aac", dir, "rec.mp4");
        string saved = dir.File("ads.mp4");
        MediaFile.Cut(rec, [new(2, 4), new(6, 8)], new CutOptions { SaveRemovedTo = saved });
        return (rec, saved);
    }

    private static Func<ScratchDir, (string, string)> Damaged(Action<string> damage, Func<ScratchDir, (string Rec, string Saved)>? cut = null) => dir =>
    {
        (string rec, string saved) = (cut ?? CutOnce)(dir);
        damage(saved);
        return (rec, saved);
    };

    /// <summary>Flips a byte of the manifest's text: the 'd' of its last line, "end", just
    /// before the 56-byte footer that ends the file.</summary>
    private static void FlipManifestByte(string saved)
    {
        using var f = File.OpenHandle(saved, FileMode.Open, FileAccess.ReadWrite);
        long at = RandomAccess.GetLength(f) - 56 - 2;
        byte[] b = new byte[1];
        RandomAccess.Read(f, b, at);
        b[0] ^= 0x01;
        RandomAccess.Write(f, b, at);
    }

    /// <summary>Flips one byte of the removed media in SAVED: 2,000 bytes into its first part
    /// (where its manifest says that part sits), inside the first 4 KiB a restore checks.</summary>
    private static void FlipPartByte(string saved)
    {
        using var f = File.OpenHandle(saved, FileMode.Open, FileAccess.ReadWrite);
        long size = RandomAccess.GetLength(f);
        byte[] head = new byte[Math.Min(size, MediaFormats.HeadBytes)];
        int n = RandomAccess.Read(f, head, 0);
        var carrier = (ISavedManifestCarrier)MediaFormats.Recognise(head.AsSpan(0, n));
        (byte[] carried, _) = carrier.FindCarried(f, head.AsSpan(0, n), size, saved);
        long at = SavedManifest.FromCarried(carried, saved).Parts.Min(p => p.Target) + 2000;
        byte[] b = new byte[1];
        RandomAccess.Read(f, b, at);
        b[0] ^= 0x01;
        RandomAccess.Write(f, b, at);
    }

    private static void Shorten(string path, long by)
    {
        using var f = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.SetLength(f, RandomAccess.GetLength(f) - by);
    }

    public static readonly Row[] Rows =
    [
        new("restore-saved-of-another-recording", dir =>
        {
            (_, string saved) = CutOnce(dir);
            string other = Recordings.CopyTo("mpeg2-mp2", dir, "other.ts");
            return (other, saved);
        }, "belongs to another recording"),
        new("restore-recording-cut-again-since", dir =>
        {
            (string rec, string saved) = CutOnce(dir);
            MediaFile.Cut(rec, [new(17.5, 20)]);
            return (rec, saved);
        }, "undo the later cuts first, the last cut first"),
        new("restore-saved-truncated-mid-packet", Damaged(s => Shorten(s, 100)), "is truncated"),
        new("restore-saved-truncated", Damaged(s => Shorten(s, 188 * 2)), "is truncated or damaged"),
        new("restore-saved-manifest-damaged", Damaged(FlipManifestByte), "manifest's SHA-256 does not match"),
        new("restore-saved-part-damaged", Damaged(FlipPartByte), "no longer hold what the cut put there"),
        new("restore-saved-not-from-a-cut", dir =>
        {
            string rec = Recordings.CopyTo("h264-aac", dir, "rec.ts");
            return (rec, Recordings.CopyTo("mpeg2-mp2", dir, "other.ts"));
        }, "is not a file of removed parts from `movdata cut --save-removed`"),
        new("restore-saved-not-a-recording", dir =>
        {
            (string rec, _) = CutOnce(dir);
            string junk = dir.File("junk.ts");
            File.WriteAllBytes(junk, Files.Pattern(93, 200_000));
            return (rec, junk);
        }, "is not a file of removed parts"),
        new("restore-same-file", dir =>
        {
            (string rec, _) = CutOnce(dir);
            return (rec, rec);
        }, "are the same file"),
        new("restore-mp4-saved-of-another-recording", dir =>
        {
            (_, string saved) = CutMp4Once(dir);
            return (Recordings.CopyTo("mp4-faststart", dir, "other.mp4"), saved);
        }, "belongs to another recording"),
        new("restore-mp4-recording-cut-again-since", dir =>
        {
            (string rec, string saved) = CutMp4Once(dir);
            MediaFile.Cut(rec, [new(6, 8)]);
            return (rec, saved);
        }, "was changed since the cut"),
        new("restore-mp4-twice-from-a-copy", dir =>
        {
            (string rec, string saved) = CutMp4Once(dir);
            string copy = dir.File("copy.mp4");
            File.Copy(saved, copy);
            MediaFile.Restore(rec, saved);
            return (rec, copy);
        }, "looks already restored: it is "),
        new("restore-mp4-saved-truncated", Damaged(s => Shorten(s, 100), CutMp4Once), "is truncated: its last box, 'uuid' at offset"),
        new("restore-mp4-saved-manifest-damaged", Damaged(FlipManifestByte, CutMp4Once), "manifest's SHA-256 does not match"),
        new("restore-mp4-saved-part-damaged", Damaged(FlipPartByte, CutMp4Once), "no longer hold what the cut put there"),
        new("restore-mp4-saved-not-from-a-cut", dir =>
        {
            (string rec, _) = CutMp4Once(dir);
            return (rec, Recordings.CopyTo("mp4-h264-aac", dir, "other.mp4"));
        }, "its last box is 'moov', which carries no MovData manifest"),
    ];

    public static TheoryData<string, string> Matrix() => Scratch.EveryFileSystemWith(Rows.Select(r => r.Id));

    [Theory, MemberData(nameof(Matrix))]
    public void Restore_ThatDoesNotFit_IsRefusedWithItsReason_NothingChanged(string fs, string id)
    {
        Row row = Rows.Single(r => r.Id == id);
        using ScratchDir dir = Scratch.On(fs);
        (string rec, string saved) = row.Make(dir);
        Snapshot recBefore = Files.Take(rec), savedBefore = Files.Take(saved);

        (int code, string output, string err) = CliProcess.Movdata("restore", rec, saved);

        Assert.True(code == 2, $"{id}: exit {code}: {err}{output}");
        Assert.Contains(row.Says, err);
        Assert.Equal(recBefore, Files.Take(rec));
        Assert.Equal(savedBefore, Files.Take(saved));
        Assert.False(Directory.Exists(dir.File(".movdata-journal")), "a journal record was left");
    }

    /// <summary>A recording another process is writing to (a DVR still recording into it, a
    /// player's editor) is left alone: exit 1, the writer named, nothing changed.</summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Restore_OfARecordingOpenForWriting_IsRefused_WriterNamed(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        (string rec, string saved) = CutOnce(dir);
        Snapshot recBefore = Files.Take(rec), savedBefore = Files.Take(saved);
        using Process writer = Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "exec 3>>\"$0\"; exec sleep 60", rec } })!;
        try
        {
            var clock = Stopwatch.StartNew();
            while (MediaFile.Writers(rec).Count == 0)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the writer did not open the file");
                Thread.Sleep(20);
            }

            (int code, string output, string err) = CliProcess.Movdata("restore", rec, saved);

            Assert.True(code == 1, $"exit {code}: {err}{output}");
            Assert.Contains($"restore refused: the file is open for writing by pid {writer.Id} (sleep)", err, StringComparison.Ordinal);
            Assert.Equal(recBefore, Files.Take(rec));
            Assert.Equal(savedBefore, Files.Take(saved));
        }
        finally
        {
            writer.Kill();
            writer.WaitForExit();
        }
    }
}
