using Microsoft.Win32.SafeHandles;
using MovData.Tests.Harness;

namespace MovData.Tests.Operations;

public sealed class DefragmentTests
{
    private const int B = Files.Block;
    private const int Blocks = 256;

    /// <summary>
    /// A file whose every block sits apart from the next: its blocks are allocated one at a time,
    /// interleaved with another file's, so no two neighbours are physically adjacent.
    /// </summary>
    private static (string Path, byte[] Content) Fragmented(ScratchDir dir)
    {
        string path = dir.File("fragmented"), spacer = dir.File("spacer");
        byte[] content = Files.Pattern(60, Blocks * B);
        using (SafeFileHandle f = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
        using (SafeFileHandle s = File.OpenHandle(spacer, FileMode.Create, FileAccess.ReadWrite))
        {
            for (int i = 0; i < Blocks; i++)
            {
                FileRange.Preallocate(f, (long)i * B, B);
                FileRange.Preallocate(s, (long)i * B, B);
            }
            RandomAccess.Write(f, content, 0);
            Assert.Equal(0, MovData.Native.Interop.FSync(f));
        }
        return (path, content);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Defragment_RewritesFragmentedFileContiguouslyOrRefuses(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        (string path, byte[] content) = Fragmented(dir);
        // A hole in the middle must stay a hole.
        using (SafeFileHandle h = Files.OpenRw(path))
        {
            FileRange.PunchHole(h, 100 * B, 10 * B);
        }
        Array.Clear(content, 100 * B, 10 * B);
        Snapshot before = Files.Take(path);

        if (dir.Kind.Exchange)
        {
            DefragmentResult result = FileRange.Defragment(path);
            Assert.True(result.ExtentsBefore >= Blocks / 2, $"the test file should be fragmented: {result.ExtentsBefore} extents");
            Assert.True(result.ExtentsAfter <= 4, $"after defragment: {result.ExtentsAfter} extents");
            Assert.Equal((Blocks - 10) * (long)B, result.BytesCopied);
            Files.AssertBytes(content, path, 0);
            Files.AssertHole(path, 100 * B, 10 * B);
            Assert.Equal(Blocks * B, new FileInfo(path).Length);
        }
        else
        {
            var e = Assert.Throws<FileSystemNotSupportedException>(() => FileRange.Defragment(path));
            Assert.Contains("exchange-range", e.Message, StringComparison.Ordinal);
            Assert.Equal(before, Files.Take(path));
        }
    }
}
