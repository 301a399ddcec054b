using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Tests.Harness;

/// <summary>
/// Fragmented files made as a busy filesystem makes them: a reserve is set aside, the rest of
/// the free space is filled with small files, every other one is deleted, and the file is
/// written into the holes that leaves (one extent per hole: about 256 per 16 MiB); then the
/// other small files and the reserve are deleted, so contiguous room is free again for a
/// defragment. Works on a filesystem of its own (a <see cref="LoopFileSystem"/>), since it
/// fills it for a moment.
/// </summary>
internal static class Fragmented
{
    internal const int Piece = 64 << 10;

    /// <summary>Makes <paramref name="name"/> in <paramref name="dir"/>, <paramref name="size"/>
    /// bytes of <paramref name="content"/>'s pattern, in pieces physically apart. With
    /// <paramref name="leaveFull"/> the filesystem is left with no room for a fresh copy.</summary>
    internal static string Make(string dir, string name, byte[] content, bool leaveFull = false)
    {
        // The file's layout is the allocator's choice, and XFS has rarely given it far fewer
        // extents than holes (9, 16 and 49 of 256, three files of one CI run, none in others).
        // Such a file is made again, once, from the start; a second such layout fails the test.
        string? failed = null;
        for (int attempt = 1; attempt <= 2; attempt++)
        {
            (string path, int extents, string facts) = Attempt(dir, name, content, leaveFull);
            if (extents >= content.Length / Piece / 4)
            {
                return path;
            }
            failed = $"{extents} extents for {content.Length} bytes ({facts})";
            File.Delete(path);
            File.Delete(Path.Combine(dir, ".ballast"));
            if (Directory.Exists(Path.Combine(dir, ".fill")))
            {
                Directory.Delete(Path.Combine(dir, ".fill"), recursive: true);
            }
            Tools.MustRun("sync", "-f", dir);
        }
        Assert.Fail($"the filesystem did not fragment the test file, twice; the second time: {failed}");
        return "";
    }

    /// <summary>One try of <see cref="Make"/>: the file, its extents, and how full the fill left the filesystem.</summary>
    private static (string Path, int Extents, string Facts) Attempt(string dir, string name, byte[] content, bool leaveFull)
    {
        string fill = Path.Combine(dir, ".fill");
        Directory.CreateDirectory(fill);
        long size = content.Length;
        string reserve = Path.Combine(fill, "reserve");
        Preallocate(reserve, 0, 3 * size);
        // Most of the free space goes to one ballast file, so that filling the rest with
        // small pieces takes hundreds of files, not thousands.
        Assert.Equal(0, Interop.StatFsPath(dir, out Interop.StatFs fs));
        long ballast = ((long)fs.Bavail * fs.Bsize) - (3 * size) - (64L << 20);
        if (ballast > 0)
        {
            Preallocate(Path.Combine(dir, ".ballast"), 0, ballast);
        }
        List<string> pieces = FillUp(fill, "p");
        long leftOver = FreeBytes(dir);
        for (int i = 0; i < pieces.Count; i += 2)
        {
            File.Delete(pieces[i]);
        }
        // The deleted pieces' blocks are freed by the filesystem's background work (XFS frees
        // an unlinked file's blocks later, and keeps them busy until its log commits): settle
        // it, so the file is written into the holes and not beside them.
        Tools.MustRun("sync", "-f", dir);
        string path = Path.Combine(dir, name);
        using (SafeFileHandle f = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
        {
            for (long at = 0; at < size; at += Piece)
            {
                FileRange.Preallocate(f, at, Math.Min(Piece, size - at));
            }
            RandomAccess.Write(f, content, 0);
            Assert.Equal(0, Interop.FSync(f));
        }
        if (leaveFull)
        {
            FillUp(fill, "q");
        }
        else
        {
            Directory.Delete(fill, recursive: true);
        }
        Tools.MustRun("sync", "-f", dir);
        return (path, FileRange.Fragmentation(path).Extents, $"{pieces.Count} pieces filled it, {leftOver} bytes were left free");
    }

    /// <summary>Small files in <paramref name="dir"/> until the filesystem is full: a piece
    /// refused is tried again once after a sync, since a filesystem may refuse space it is
    /// still accounting for, and room left over after a fill that stopped early is where the
    /// test file would find long runs.</summary>
    private static List<string> FillUp(string dir, string prefix)
    {
        var pieces = new List<string>();
        bool retried = false;
        for (int i = 0; ;)
        {
            string piece = Path.Combine(dir, $"{prefix}{i:D5}");
            try
            {
                Preallocate(piece, 0, Piece);
            }
            catch (IOException)
            {
                File.Delete(piece);
                if (retried)
                {
                    return pieces;
                }
                Tools.MustRun("sync", "-f", dir);
                retried = true;
                continue;
            }
            pieces.Add(piece);
            retried = false;
            i++;
        }
    }

    private static void Preallocate(string path, long offset, long length)
    {
        using SafeFileHandle h = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite);
        FileRange.Preallocate(h, offset, length);
    }

    /// <summary>Bytes free to an ordinary user on the filesystem holding <paramref name="path"/>.</summary>
    internal static long FreeBytes(string path)
    {
        Assert.Equal(0, Interop.StatFsPath(path, out Interop.StatFs fs));
        return (long)fs.Bavail * fs.Bsize;
    }
}
