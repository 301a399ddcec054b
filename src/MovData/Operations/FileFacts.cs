using Microsoft.Win32.SafeHandles;
using MovData.Native;

namespace MovData.Operations;

/// <summary>Everything MovData checks about an open file before it changes anything.</summary>
internal sealed class FileFacts
{
    internal const long XFS_SUPER_MAGIC = 0x58465342;
    internal const long BTRFS_SUPER_MAGIC = 0x9123683E;
    internal const long EXT4_SUPER_MAGIC = 0xEF53;
    internal const long TMPFS_MAGIC = 0x01021994;

    /// <summary>The kernel's own filesystems, whose files are views of kernel state: none is
    /// a regular file MovData could edit. Null for any other filesystem.</summary>
    internal static string? HoldsNoRegularFiles(long magic) => magic switch
    {
        0x9fa0 => "proc",
        0x62656572 => "sysfs",
        0x1cd1 => "devpts",
        0x64626720 => "debugfs",
        0x74726163 => "tracefs",
        0x27e0eb => "cgroup",
        0x63677270 => "cgroup2",
        0x73636673 => "securityfs",
        0x6e736673 => "nsfs",
        0x50495045 => "pipefs",
        0xcafe4a11 => "bpf",
        _ => null,
    };

    private FileFacts(SafeFileHandle handle, string role)
    {
        Handle = handle;
        Role = role;
    }

    internal SafeFileHandle Handle { get; }

    /// <summary>"donor", "receiver", "file": used in every message.</summary>
    internal string Role { get; }

    internal ulong Device { get; private init; }
    internal ulong Inode { get; private init; }

    /// <summary>The unique id of the mount the file is on (Linux 6.8+), else 0: a loop device
    /// mounted again, perhaps with another filesystem, is another mount with the same device.</summary>
    internal ulong MountId { get; private init; }
    internal long Size { get; private init; }
    internal int Mode { get; private init; }
    internal long FsMagic { get; private init; }
    internal long BlockSize { get; private init; }
    internal bool ReadOnlyMount { get; private init; }
    internal int OpenFlags { get; private init; }
    internal bool Immutable { get; private init; }
    internal bool AppendOnly { get; private init; }
    internal long ChangeTimeSec { get; private init; }

    /// <summary>Creation time in nanoseconds where the filesystem keeps it (statx btime), else 0:
    /// with device and inode, it tells a file from a later one that reused its inode number.</summary>
    internal long BirthNanoseconds { get; private init; }
    internal uint ChangeTimeNsec { get; private init; }

    internal bool IsRegular => (Mode & Interop.S_IFMT) == Interop.S_IFREG;

    internal string FsType => FsTypeName(FsMagic);

    internal static string FsTypeName(long magic) => magic switch
    {
        XFS_SUPER_MAGIC => "xfs",
        BTRFS_SUPER_MAGIC => "btrfs",
        EXT4_SUPER_MAGIC => "ext4",
        TMPFS_MAGIC => "tmpfs",
        _ => $"0x{magic:x}",
    };

    internal bool SameFileAs(FileFacts other) => Device == other.Device && Inode == other.Inode;

    /// <summary>The facts of a file that could not be opened for writing, read through a
    /// read-only handle; throws the original denial if even that is refused.</summary>
    internal static FileFacts OfPath(string path, string role)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (UnauthorizedAccessException)
        {
            throw new UnauthorizedAccessException($"the {role} {path} cannot be opened: permission denied");
        }
        using (handle)
        {
            FileFacts facts = Of(handle, role);
            // Report the file as if opened read-write, so only its attributes and mount decide.
            return new FileFacts(handle, role)
            {
                Device = facts.Device, Inode = facts.Inode, MountId = facts.MountId, Size = facts.Size, Mode = facts.Mode, FsMagic = facts.FsMagic,
                BlockSize = facts.BlockSize, ReadOnlyMount = facts.ReadOnlyMount, OpenFlags = Interop.O_RDWR,
                Immutable = facts.Immutable, AppendOnly = facts.AppendOnly,
                ChangeTimeSec = facts.ChangeTimeSec, ChangeTimeNsec = facts.ChangeTimeNsec,
            };
        }
    }

    /// <summary>stx_mnt_id where it is the unique id, else 0.</summary>
    internal static ulong UniqueMountId(in Interop.Statx st) => (st.Mask & Interop.STATX_MNT_ID_UNIQUE) != 0 ? st.MntId : 0;

    /// <summary>Reads the facts of <paramref name="handle"/>; throws what the kernel said if it cannot.</summary>
    internal static FileFacts Of(SafeFileHandle handle, string role)
    {
        ArgumentNullException.ThrowIfNull(handle, role);
        if (handle.IsInvalid || handle.IsClosed)
        {
            throw new ArgumentException($"the {role} handle is closed or invalid", role);
        }
        int errno = Interop.FStatx(handle, out Interop.Statx st);
        Interop.ThrowIfFailed(errno, $"statx of the {role}");
        errno = Interop.FStatFs(handle, out Interop.StatFs fs);
        Interop.ThrowIfFailed(errno, $"fstatfs of the {role}");
        errno = Interop.GetStatusFlags(handle, out int openFlags);
        Interop.ThrowIfFailed(errno, $"fcntl(F_GETFL) of the {role}");
        // chattr +i / +a: FS_IOC_GETFLAGS where the filesystem has it, statx's attributes otherwise.
        bool immutable = (st.Attributes & Interop.STATX_ATTR_IMMUTABLE) != 0;
        bool append = (st.Attributes & Interop.STATX_ATTR_APPEND) != 0;
        if ((st.Mode & Interop.S_IFMT) == Interop.S_IFREG && Interop.GetInodeFlags(handle, out int inodeFlags) == 0)
        {
            immutable |= (inodeFlags & Interop.FS_IMMUTABLE_FL) != 0;
            append |= (inodeFlags & Interop.FS_APPEND_FL) != 0;
        }
        return new FileFacts(handle, role)
        {
            Device = DeviceOf(st),
            Inode = st.Ino,
            MountId = UniqueMountId(st),
            Size = (long)st.Size,
            Mode = st.Mode,
            FsMagic = fs.Type,
            BlockSize = fs.Bsize,
            ReadOnlyMount = (fs.Flags & Interop.ST_RDONLY) != 0,
            OpenFlags = openFlags,
            Immutable = immutable,
            AppendOnly = append,
            ChangeTimeSec = st.Ctime.Sec,
            ChangeTimeNsec = st.Ctime.Nsec,
            BirthNanoseconds = BirthOf(st),
        };
    }

    /// <summary>The inode number and creation time (as <see cref="BirthNanoseconds"/>) of the
    /// file at <paramref name="path"/>; a failure is reported as "statx of"
    /// <paramref name="shownPath"/>.</summary>
    internal static (ulong Inode, long Birth) IdentityOf(string path, string shownPath)
    {
        Interop.ThrowIfFailed(Interop.StatxPath(path, out Interop.Statx st), $"statx of {shownPath}");
        return (st.Ino, BirthOf(st));
    }

    /// <summary>The inode number and creation time of an open file; null if statx fails
    /// (the caller's own checks say why).</summary>
    internal static (ulong Inode, long Birth)? IdentityOf(SafeFileHandle handle) =>
        Interop.FStatx(handle, out Interop.Statx st) == 0 ? (st.Ino, BirthOf(st)) : null;

    internal static ulong DeviceOf(in Interop.Statx st) => ((ulong)st.DevMajor << 32) | st.DevMinor;

    private static long BirthOf(in Interop.Statx st) =>
        (st.Mask & Interop.STATX_BTIME) != 0 ? st.Btime.Sec * 1_000_000_000 + st.Btime.Nsec : 0;
}
