using MovData.Native;
using MovData.Operations;

namespace MovData.Tests.Harness;

/// <summary>What each scratch filesystem is, and what the contract expects of it.</summary>
public sealed record FsKind(string Name, long Magic, MoveMethod MoveMethod, bool Reflink, bool Exchange, bool CollapseInsert, bool ZeroRange, bool Fiemap)
{
    public bool ZeroCopy => MoveMethod != MoveMethod.CopyPunch;

    /// <summary>How an aligned collapse or insert is done here: the kernel's fallocate mode,
    /// clones through a sidecar file, or copying.</summary>
    public RangeMethod ShiftMethod => CollapseInsert ? RangeMethod.Native : Reflink ? RangeMethod.Emulated : RangeMethod.Copy;
}

/// <summary>
/// The scratch filesystems that eng/scratch-fs.sh mounts, found through MOVDATA_SCRATCH
/// ("name=path;name=path"). When MOVDATA_REQUIRE_SCRATCH=1 (CI) a missing one fails the
/// test; otherwise the test is reported skipped with the reason, never passed.
/// </summary>
public static class Scratch
{
    public static readonly IReadOnlyDictionary<string, FsKind> Kinds = new Dictionary<string, FsKind>
    {
        ["xfs"] = new("xfs", FileFacts.XFS_SUPER_MAGIC, MoveMethod.ClonePunch, Reflink: true, Exchange: false, CollapseInsert: true, ZeroRange: true, Fiemap: true),
        ["xfs-exchange"] = new("xfs-exchange", FileFacts.XFS_SUPER_MAGIC, MoveMethod.ExchangeRange, Reflink: true, Exchange: true, CollapseInsert: true, ZeroRange: true, Fiemap: true),
        ["btrfs"] = new("btrfs", FileFacts.BTRFS_SUPER_MAGIC, MoveMethod.ClonePunch, Reflink: true, Exchange: false, CollapseInsert: false, ZeroRange: true, Fiemap: true),
        ["ext4"] = new("ext4", FileFacts.EXT4_SUPER_MAGIC, MoveMethod.CopyPunch, Reflink: false, Exchange: false, CollapseInsert: true, ZeroRange: true, Fiemap: true),
        ["tmpfs"] = new("tmpfs", FileFacts.TMPFS_MAGIC, MoveMethod.CopyPunch, Reflink: false, Exchange: false, CollapseInsert: false, ZeroRange: false, Fiemap: false),
        // A deliberately small ext4, for running out of space on purpose.
        ["tiny"] = new("tiny", FileFacts.EXT4_SUPER_MAGIC, MoveMethod.CopyPunch, Reflink: false, Exchange: false, CollapseInsert: true, ZeroRange: true, Fiemap: true),
    };

    /// <summary>The five filesystems every behaviour is tested on.</summary>
    public static readonly string[] Names = ["xfs", "xfs-exchange", "btrfs", "ext4", "tmpfs"];

    /// <summary>The five filesystems every behaviour is tested on, as theory data.</summary>
    public static TheoryData<string> All => new(Names);

    /// <summary>Each of the five filesystems with each of <paramref name="cases"/>, as theory data.</summary>
    public static TheoryData<string, string> EveryFileSystemWith(IEnumerable<string> cases)
    {
        var data = new TheoryData<string, string>();
        foreach (string fs in Names)
        {
            foreach (string c in cases)
            {
                data.Add(fs, c);
            }
        }
        return data;
    }

    private static readonly Lazy<Dictionary<string, string>> Mounts = new(() =>
    {
        var map = new Dictionary<string, string>();
        string? spec = Environment.GetEnvironmentVariable("MOVDATA_SCRATCH");
        foreach (string part in (spec ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                map[part[..eq]] = part[(eq + 1)..];
            }
        }
        return map;
    });

    public static bool Required => Environment.GetEnvironmentVariable("MOVDATA_REQUIRE_SCRATCH") == "1";

    private static readonly SemaphoreSlim TinyFree = new(1, 1);

    /// <summary>Holds the tiny filesystem for one test at a time: tests that fill it up on
    /// purpose would otherwise take each other's room.</summary>
    public static IDisposable FillingTiny()
    {
        TinyFree.Wait();
        return new Release();
    }

    private sealed class Release : IDisposable
    {
        public void Dispose() => TinyFree.Release();
    }

    /// <summary>A fresh directory on the named scratch filesystem, removed on dispose.</summary>
    public static ScratchDir On(string fs)
    {
        FsKind kind = Kinds[fs];
        if (!Mounts.Value.TryGetValue(fs, out string? mount) || !Directory.Exists(mount))
        {
            string why = $"scratch filesystem '{fs}' is not available: run the tests through eng/test.sh as root, or set MOVDATA_SCRATCH";
            if (Required)
            {
                Assert.Fail(why);
            }
            Assert.Skip(why);
        }
        Assert.Equal(0, Interop.StatFsPath(mount, out Interop.StatFs st));
        if (st.Type != kind.Magic)
        {
            Assert.Fail($"scratch filesystem '{fs}' at {mount} has statfs magic 0x{st.Type:x}, expected 0x{kind.Magic:x}: is it mounted?");
        }
        string dir = Path.Combine(mount, $"t-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return new ScratchDir(kind, dir);
    }
}

public sealed class ScratchDir(FsKind kind, string path) : IDisposable
{
    public FsKind Kind { get; } = kind;
    public string Path { get; } = path;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            // chattr'd files would make the delete fail: clear the flags first.
            foreach (string f in Directory.EnumerateFiles(Path))
            {
                Tools.Run("chattr", "-i", "-a", f);
            }
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
