using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Media;

/// <summary>
/// A cut or a restore on a filesystem with no room left (a tmpfs of its own, filled): the edit
/// cannot write its journal record, so it refuses before its first change, exit 1, and says
/// so: which file it could not write, the errno, and that nothing changed. The recording and
/// the saved parts are as before, and no journal is left behind. (Until 2026-12-05 it said
/// only "movdata: No space left on device".)
/// </summary>
public sealed class FullFileSystemTests
{
    [Theory]
    [InlineData("h264-aac", "rec.ts")]
    [InlineData("mp4-h264-aac", "rec.mp4")]
    public void CutAndRestore_OnAFullFileSystem_SayNothingChanged(string kind, string name)
    {
        LoopFileSystem.RequireRoot("a tmpfs of its own needs root");
        string mount = Path.Combine("/var/tmp/movdata-scratch", $"full-{Guid.NewGuid():N}");
        Directory.CreateDirectory(mount);
        Tools.MustRun("mount", "-t", "tmpfs", "-o", "size=16m", "movdata-full", mount);
        try
        {
            string rec = Path.Combine(mount, name), saved = Path.Combine(mount, "ads" + Path.GetExtension(name));
            File.Copy(Recordings.Path(kind), rec);
            (int cutCode, _, string cutErr) = CliProcess.Movdata("cut", rec, "--remove", "2-4", "--save-removed", saved);
            Assert.True(cutCode == 0, cutErr);
            Fill(Path.Combine(mount, "filler"));
            Snapshot[] before = [Files.Take(rec), Files.Take(saved)];

            (int code, string output, string err) = CliProcess.Movdata("cut", rec, "--remove", "6-8");

            Assert.True(code == 1, $"exit {code}: {err}{output}");
            Assert.Matches(@"^movdata: nothing changed: writing the journal record \S+/\.movdata-journal/[0-9a-f]{16}\.draft: ENOSPC \(No space left on device\)\n$", err);
            Assert.Equal(before, (Snapshot[])[Files.Take(rec), Files.Take(saved)]);
            Assert.False(Directory.Exists(Path.Combine(mount, ".movdata-journal")), "a refused cut left a journal behind");

            (code, output, err) = CliProcess.Movdata("restore", rec, saved);

            Assert.True(code == 1, $"exit {code}: {err}{output}");
            Assert.Matches(@"^movdata: nothing changed: writing the journal record \S+\.draft: ENOSPC \(No space left on device\)\n$", err);
            Assert.Equal(before, (Snapshot[])[Files.Take(rec), Files.Take(saved)]);
            Assert.False(Directory.Exists(Path.Combine(mount, ".movdata-journal")), "a refused restore left a journal behind");
        }
        finally
        {
            if (LoopFileSystem.Unmount(mount))
            {
                Directory.Delete(mount);
            }
        }
    }

    /// <summary>
    /// A nearly full tmpfs, where a cut copies what follows it (tmpfs cannot shift blocks):
    /// the journal record fits, the copy does not. The cut stops part-way, exit 1, and says
    /// the filesystem is full and to free space (review round 8: it said only to recover, which
    /// met the same ENOSPC); with room made, `movdata recover` finishes the cut, and ffmpeg
    /// plays the result.
    /// </summary>
    [Fact]
    public void Cut_OnANearlyFullTmpfs_StopsPartWay_SaysToFreeSpace_AndRecoversOnceThereIsRoom()
    {
        LoopFileSystem.RequireRoot("a tmpfs of its own needs root");
        string mount = Path.Combine("/var/tmp/movdata-scratch", $"full-{Guid.NewGuid():N}");
        Directory.CreateDirectory(mount);
        Tools.MustRun("mount", "-t", "tmpfs", "-o", "size=8m", "movdata-full", mount);
        try
        {
            string rec = Path.Combine(mount, "rec.mp4"), filler = Path.Combine(mount, "filler");
            File.Copy(Recordings.Path("mp4-h264-aac"), rec);
            Fill(filler);
            // Room for the journal record, not for the copy of what follows the cut.
            using (var f = File.OpenHandle(filler, FileMode.Open, FileAccess.Write))
            {
                RandomAccess.SetLength(f, RandomAccess.GetLength(f) - (64 << 10));
            }

            (int code, string output, string err) = CliProcess.Movdata("cut", rec, "--remove", "2-4");

            Assert.True(code == 1, $"exit {code}: {err}{output}");
            Assert.Contains("the cut stopped part-way (", err, StringComparison.Ordinal);
            Assert.Contains("ENOSPC", err, StringComparison.Ordinal);
            Assert.Contains("nothing is lost: the filesystem is full: free some space on it, then its journal record", err, StringComparison.Ordinal);

            File.Delete(filler);
            (int recovered, string recoverOut, string recoverErr) = CliProcess.Movdata("recover", mount);

            Assert.True(recovered == 0, $"exit {recovered}: {recoverErr}{recoverOut}");
            Assert.Equal("", FfmpegStreams.DecodeErrors(rec, copyts: false));
            Assert.Equal(10, Probe.Number(Probe.Streams(rec)[0], "duration"), 0.05);
            Assert.False(Directory.Exists(Path.Combine(mount, ".movdata-journal")));
        }
        finally
        {
            if (LoopFileSystem.Unmount(mount))
            {
                Directory.Delete(mount);
            }
        }
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
