using MovData.Native;

namespace MovData.Operations;

/// <summary>What a filesystem can do, for <see cref="FileRange.Probe(string)"/>: its type,
/// block size, and each operation's support, from the cached trial calls.</summary>
internal static class Prober
{
    internal static FileSystemProbe Probe(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        int errno = Interop.StatxPath(path, out Interop.Statx st);
        Interop.ThrowIfFailed(errno, $"statx of {path}");
        errno = Interop.StatFsPath(path, out Interop.StatFs fs);
        Interop.ThrowIfFailed(errno, $"statfs of {path}");
        if (FileFacts.HoldsNoRegularFiles(fs.Type) is { } pseudo)
        {
            throw new FileSystemNotSupportedException(
                $"{path} is on {pseudo}, a kernel filesystem that holds no regular files to edit; probe a directory of a disk filesystem (xfs, btrfs, ext4, tmpfs, ...)");
        }
        if ((fs.Flags & Interop.ST_RDONLY) != 0)
        {
            // Trial calls would only meet EROFS, and every edit fails with it: say so.
            return new FileSystemProbe(FileFacts.FsTypeName(fs.Type), fs.Bsize,
                Enum.GetValues<RangeOperation>().ToDictionary(op => op, _ => Support.Unsupported)) { ReadOnly = true };
        }
        bool isDirectory = (st.Mode & Interop.S_IFMT) == Interop.S_IFDIR;
        string directory = isDirectory ? path : Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
        ulong device = ((ulong)st.DevMajor << 32) | st.DevMinor;
        Capabilities caps = Capabilities.ForDirectory(directory, device, fs.Bsize);
        static Support Native(bool? yes) => yes == true ? Support.Native : Support.Unsupported;
        Support Shift(bool? native) => native == true ? Support.Native : caps.Reflink == true ? Support.Emulated : Support.Copy;
        var operations = new Dictionary<RangeOperation, Support>
        {
            [RangeOperation.Move] = caps.Exchange == true ? Support.Native : caps.Reflink == true ? Support.Emulated : Support.Copy,
            [RangeOperation.Clone] = Native(caps.Reflink),
            [RangeOperation.Exchange] = Native(caps.Exchange),
            [RangeOperation.Collapse] = Shift(caps.Collapse),
            [RangeOperation.Insert] = Shift(caps.Insert),
            [RangeOperation.Punch] = Native(caps.Punch),
            [RangeOperation.Zero] = Native(caps.Zero),
            [RangeOperation.Preallocate] = Native(caps.Preallocate),
            [RangeOperation.Defragment] = Defragmenter.SupportOn(fs.Type, caps),
        };
        return new FileSystemProbe(FileFacts.FsTypeName(fs.Type), fs.Bsize, operations);
    }
}
