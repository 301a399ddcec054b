using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Tests.Harness;

/// <summary>Proves the harness is real: each scratch filesystem is mounted, is of the kind its
/// name says, takes a file, and (xfs-exchange) accepts the exchange-range ioctl.</summary>
public sealed class SmokeTests
{
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void ScratchFileSystem_IsMountedAndOfItsKind(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string path = dir.File("smoke");
        byte[] bytes = Files.Pattern(1, 2 * Files.Block);
        Files.Create(path, bytes.Length, (0, bytes));
        Files.AssertBytes(bytes, path, 0);
        using SafeFileHandle h = Files.OpenRw(path);
        Assert.Equal(0, Interop.FStatFs(h, out Interop.StatFs st));
        Assert.Equal(dir.Kind.Magic, st.Type);

        string other = dir.File("smoke2");
        Files.Create(other, bytes.Length, (0, Files.Pattern(2, bytes.Length)));
        using SafeFileHandle o = Files.OpenRw(other);
        int errno = Interop.ExchangeRange(h, 0, o, 0, Files.Block, Interop.XFS_EXCHANGE_RANGE_DRY_RUN);
        if (dir.Kind.Exchange)
        {
            Assert.Equal(0, errno);
        }
        else
        {
            Assert.True(Interop.IsNotSupported(errno), $"exchange-range on {fs} answered {Interop.ErrnoName(errno)}");
        }
    }
}
