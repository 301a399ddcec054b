using Microsoft.Win32.SafeHandles;
using MovData.Native;
using System.Collections.Concurrent;

namespace MovData.Operations;

/// <summary>
/// What one filesystem can do natively, learnt once by trial calls on two unnamed temporary
/// files (O_TMPFILE) in a directory of that filesystem, and cached by device and mount for the
/// life of the process (as xfsprogs' libfrog/file_exchange.c remembers a missing ioctl): a
/// device mounted again (a loop device reused for another filesystem) is learnt again. null means
/// "not known": the trial could not run there (no writable directory), and the real call will
/// find out, falling back only on a not-supported answer.
/// </summary>
internal sealed record Capabilities(bool? Reflink, bool? Exchange, bool? Punch, bool? Zero, bool? Collapse, bool? Insert, bool? Preallocate)
{
    internal static readonly Capabilities Unknown = new(null, null, null, null, null, null, null);

    /// <summary>By device: the capabilities, and the unique id of the mount they were learnt on (0: unknown).</summary>
    private static readonly ConcurrentDictionary<ulong, (ulong Mount, Capabilities Caps)> Cache = new();

    /// <summary>The capabilities of the filesystem <paramref name="f"/> lives on.</summary>
    internal static Capabilities For(FileFacts f) => Known(f.Device, f.MountId) ?? Learn(f.Device, f.MountId, DirectoryOf(f.Handle), f.BlockSize);

    /// <summary>
    /// What shifting <paramref name="f"/>'s blocks can use (collapse, insert, and where neither
    /// is native, clones), asked of the file itself with calls that cannot change it: a
    /// collapse and an insert of one byte at offset 0, and a clone of the first block onto
    /// itself. A filesystem that has the call refuses those arguments (EINVAL: not a whole
    /// block; ranges that overlap); one that has not says EOPNOTSUPP first. So a cut makes no
    /// trial file and writes nothing to learn this, and the answer is the file's own (ext4
    /// collapses only files with extents). Known capabilities of this mount (a trial made
    /// earlier in the process) are taken as they are.
    /// </summary>
    internal static Capabilities ForShifts(FileFacts f)
    {
        if (Known(f.Device, f.MountId) is { } known)
        {
            return known;
        }
        bool? collapse = Refuses(Interop.Fallocate(f.Handle, Interop.FALLOC_FL_COLLAPSE_RANGE, 0, 1));
        bool? insert = Refuses(Interop.Fallocate(f.Handle, Interop.FALLOC_FL_INSERT_RANGE, 0, 1));
        bool? reflink = collapse == true && insert == true ? null : Refuses(Interop.CloneRange(f.Handle, 0, f.Handle, 0, f.BlockSize));
        return Unknown with { Collapse = collapse, Insert = insert, Reflink = reflink };

        // EINVAL: the filesystem has the call and checked the arguments; EOPNOTSUPP (or
        // ENOTTY, EXDEV): it has not. Success would mean the file changed, which these
        // arguments rule out on every filesystem that follows the call's contract.
        static bool? Refuses(int errno) => errno == 0
            ? throw new InvalidOperationException("a capability check changed the file it asked (a one-byte collapse, insert or overlapping clone succeeded)")
            : errno == Interop.EINVAL ? true : Interop.IsNotSupported(errno) ? false : null;
    }

    /// <summary>
    /// As <see cref="ForShifts"/>, for a dry run, which must leave the file exactly as it was,
    /// its mtime included: XFS and ext4 update the mtime of a file whose fallocate they then
    /// refuse (file_modified() comes before the arguments are checked), so this asks unnamed
    /// trial files in the file's directory instead, as <see cref="For"/> does.
    /// </summary>
    /// <exception cref="IOException">The file has no path to find its directory by.</exception>
    internal static Capabilities ForShiftsUntouched(FileFacts f) =>
        ForDirectory(DirectoryOf(f.Handle) ?? throw new IOException("a dry run asks the file's directory, and this file has no path"), f.Device, f.BlockSize);

    /// <summary>The capabilities of the filesystem holding <paramref name="directory"/>.</summary>
    internal static Capabilities ForDirectory(string directory, ulong device, long blockSize)
    {
        ulong mount = Interop.StatxPath(directory, out Interop.Statx st) == 0 ? FileFacts.UniqueMountId(st) : 0;
        return Known(device, mount) ?? Learn(device, mount, directory, blockSize);
    }

    /// <summary>A real call answered "not supported": remember it.</summary>
    internal static void Remember(ulong device, Func<Capabilities, Capabilities> update) =>
        Cache.AddOrUpdate(device, _ => (0, update(Unknown)), (_, old) => (old.Mount, update(old.Caps)));

    private static Capabilities? Known(ulong device, ulong mount) =>
        Cache.TryGetValue(device, out var known) && known.Mount == mount ? known.Caps : null;

    private static Capabilities Learn(ulong device, ulong mount, string? directory, long blockSize)
    {
        Capabilities caps = directory is null ? Unknown : Trial(directory, blockSize);
        if (caps != Unknown)
        {
            Cache[device] = (mount, caps);
        }
        return caps;
    }

    /// <summary>The directory an open file was opened from, via /proc/self/fd; null if it was
    /// deleted or /proc is not there.</summary>
    internal static string? DirectoryOf(SafeFileHandle handle) => PathOf(handle) is { } path ? Path.GetDirectoryName(path) : null;

    /// <summary>The path an open file was opened by, via /proc/self/fd; null if it was
    /// deleted or /proc is not there.</summary>
    internal static string? PathOf(SafeFileHandle? handle)
    {
        if (handle is null || handle.IsInvalid || handle.IsClosed)
        {
            return null; // the operation's own checks say what is wrong with it
        }
        try
        {
            string? target = new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget;
            return target is null || !target.StartsWith('/') || target.EndsWith(" (deleted)", StringComparison.Ordinal) ? null : target;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static Capabilities Trial(string directory, long bs)
    {
        if (Interop.OpenTempFile(directory, out SafeFileHandle a) != 0)
        {
            return Unknown;
        }
        using (a)
        {
            if (Interop.OpenTempFile(directory, out SafeFileHandle b) != 0)
            {
                return Unknown;
            }
            using (b)
            {
                byte[] block = new byte[bs * 4];
                block.AsSpan().Fill(0xA5);
                try
                {
                    RandomAccess.Write(a, block, 0);
                    RandomAccess.Write(b, block, 0);
                }
                catch (IOException)
                {
                    return Unknown;
                }
                return new Capabilities(
                    Reflink: Answer(Interop.CloneRange(a, 0, b, 0, bs)),
                    Exchange: Answer(Interop.ExchangeRange(a, bs, b, bs, bs, 0)),
                    Punch: Answer(Interop.Fallocate(a, Interop.FALLOC_FL_PUNCH_HOLE | Interop.FALLOC_FL_KEEP_SIZE, 3 * bs, bs)),
                    Zero: Answer(Interop.Fallocate(a, Interop.FALLOC_FL_ZERO_RANGE, 2 * bs, bs)),
                    Collapse: Answer(Interop.Fallocate(a, Interop.FALLOC_FL_COLLAPSE_RANGE, 0, bs)),
                    Insert: Answer(Interop.Fallocate(a, Interop.FALLOC_FL_INSERT_RANGE, 0, bs)),
                    Preallocate: Answer(Interop.Fallocate(a, Interop.FALLOC_FL_KEEP_SIZE, 8 * bs, bs)));
            }
        }
    }

    // The trial's arguments are valid by construction, so EINVAL here means the filesystem
    // rejects the mode (as some do for collapse and insert), not a mistake of ours.
    private static bool? Answer(int errno) =>
        errno == 0 ? true : Interop.IsNotSupported(errno) || errno == Interop.EINVAL ? false : null;
}
