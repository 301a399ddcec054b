using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// A cut or a restore on a filesystem with no room left: the edit cannot write its journal
/// record, or would not have room for what it copies, so it refuses before its first change,
/// exit 1, and says so: which file it could not write and the errno, or the room it needs and
/// the room there is, and that nothing changed. The recording and
/// the saved parts are as before, and no journal is left behind. (Until 2026-12-05 it said
/// only "movdata: No space left on device".)
/// </summary>
public sealed class FullFileSystemTests
{
    /// <remarks>On the tiny ext4 scratch filesystem, where a cut shifts natively and needs no
    /// room but its record's; the restore, which copies the parts back on ext4, is refused
    /// for want of room before its record (<see cref="CutAndRestore_OnANearlyFullTmpfs_RefuseBeforeAnyChange_SayHowMuchRoom"/>).</remarks>
    [Theory]
    [InlineData("h264-aac", "rec.ts")]
    [InlineData("mp4-h264-aac", "rec.mp4")]
    public void CutAndRestore_OnAFullFileSystem_SayNothingChanged(string kind, string name)
    {
        using IDisposable tinyHeld = Scratch.FillingTiny();
        using ScratchDir dir = Scratch.On("tiny");
        string rec = dir.File(name), saved = dir.File("ads" + Path.GetExtension(name)), filler = dir.File("filler");
        File.Copy(Recordings.Path(kind), rec);
        (int cutCode, _, string cutErr) = CliProcess.Movdata("cut", rec, "--remove", "2-4", "--save-removed", saved);
        Assert.True(cutCode == 0, cutErr);
        try
        {
            Fill(filler);
            Snapshot[] before = [Files.Take(rec), Files.Take(saved)];

            (int code, string output, string err) = CliProcess.Movdata("cut", rec, "--remove", "6-8");

            Assert.True(code == 1, $"exit {code}: {err}{output}");
            Assert.Matches(@"^movdata: nothing changed: (making the journal directory|creating the journal record|writing the journal record) \S+: ENOSPC \(No space left on device\)\n$", err);
            Assert.Equal(before, (Snapshot[])[Files.Take(rec), Files.Take(saved)]);
            Assert.False(Directory.Exists(dir.File(".movdata-journal")), "a refused cut left a journal behind");

            (code, output, err) = CliProcess.Movdata("restore", rec, saved);

            Assert.True(code == 1, $"exit {code}: {err}{output}");
            Assert.Matches(@"^movdata: nothing changed: the restore copies data on ext4, and at its fullest needs about \d+ bytes free there, where \d+ are", err);
            Assert.Equal(before, (Snapshot[])[Files.Take(rec), Files.Take(saved)]);
            Assert.False(Directory.Exists(dir.File(".movdata-journal")), "a refused restore left a journal behind");
        }
        finally
        {
            File.Delete(filler);
        }
    }

    /// <summary>
    /// A nearly full tmpfs, where a cut copies what follows it (tmpfs cannot shift blocks):
    /// the journal record would fit, the copy would not. The cut refuses before its record and
    /// its first change, exit 1, and says how much room it needs and how much there is, and to
    /// free some; so does the restore of an earlier cut. With room made, both run, and ffmpeg
    /// plays the cut. (Review round 8: the cut stopped part-way with the recording truncated at
    /// its first range, unplayable until room was made and `movdata recover` run; it then said
    /// only to recover, which met the same ENOSPC.)
    /// </summary>
    [Fact]
    public void CutAndRestore_OnANearlyFullTmpfs_RefuseBeforeAnyChange_SayHowMuchRoom()
    {
        LoopFileSystem.RequireRoot("a tmpfs of its own needs root");
        string mount = Path.Combine("/var/tmp/movdata-scratch", $"full-{Guid.NewGuid():N}");
        Directory.CreateDirectory(mount);
        Tools.MustRun("mount", "-t", "tmpfs", "-o", "size=8m", "movdata-full", mount);
        try
        {
            string rec = Path.Combine(mount, "rec.mp4"), saved = Path.Combine(mount, "ads.mp4"), filler = Path.Combine(mount, "filler");
            File.Copy(Recordings.Path("mp4-h264-aac"), rec);
            (int first, _, string firstErr) = CliProcess.Movdata("cut", rec, "--remove", "8-10", "--save-removed", saved);
            Assert.True(first == 0, firstErr);
            LeaveFree(filler, 64 << 10); // room for a journal record, not for a copy of what follows a cut
            Snapshot[] before = [Files.Take(rec), Files.Take(saved)];

            (int code, string output, string err) = CliProcess.Movdata("cut", rec, "--remove", "2-4");
            (int undo, string undoOut, string undoErr) = CliProcess.Movdata("restore", rec, saved);

            Assert.True(code == 1, $"exit {code}: {err}{output}");
            Assert.Matches(@"^movdata: nothing changed: the cut copies data on tmpfs, and at its fullest needs about \d+ bytes free there, where \d+ are: free some space on it", err);
            Assert.True(undo == 1, $"exit {undo}: {undoErr}{undoOut}");
            Assert.Matches(@"^movdata: nothing changed: the restore copies data on tmpfs, and at its fullest needs about \d+ bytes free there, where \d+ are: free some space on it", undoErr);
            Assert.Equal(before, (Snapshot[])[Files.Take(rec), Files.Take(saved)]);
            Assert.False(Directory.Exists(Path.Combine(mount, ".movdata-journal")), "a refused edit left a journal behind");

            File.Delete(filler);
            (code, output, err) = CliProcess.Movdata("cut", rec, "--remove", "2-4");

            Assert.True(code == 0, $"exit {code}: {err}{output}");
            Assert.Equal("", FfmpegStreams.DecodeErrors(rec, copyts: false));
            Assert.Equal(8, Probe.Number(Probe.Streams(rec)[0], "duration"), 0.05); // 12 s, less 8-10 and 2-4
        }
        finally
        {
            if (LoopFileSystem.Unmount(mount))
            {
                Directory.Delete(mount);
            }
        }
    }

    /// <summary>Fills the tmpfs but for about <paramref name="bytes"/>.</summary>
    private static void LeaveFree(string filler, long bytes)
    {
        Fill(filler);
        using var f = File.OpenHandle(filler, FileMode.Open, FileAccess.Write);
        RandomAccess.SetLength(f, RandomAccess.GetLength(f) - bytes);
    }

    /// <summary>Takes every page the tmpfs has left.</summary>
    private static void Fill(string path)
    {
        using var filler = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write);
        byte[] chunk = new byte[1 << 20];
        long at = 0;
        foreach (int size in (int[])[1 << 20, 4096])
        {
            try
            {
                while (true)
                {
                    RandomAccess.Write(filler, chunk.AsSpan(0, size), at);
                    at += size;
                }
            }
            catch (IOException)
            {
                // ENOSPC: no room for another piece of this size.
            }
        }
    }
}
