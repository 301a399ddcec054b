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
