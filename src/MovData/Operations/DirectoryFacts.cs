using MovData.Native;

namespace MovData.Operations;

/// <summary>What an edit checks of the directory a new file of it will be made in (a concat's
/// output, a cut's removed parts): the filesystem's device, block size and type.</summary>
internal sealed record DirectoryFacts(ulong Device, long BlockSize, long FsMagic)
{
    internal string FsType => FileFacts.FsTypeName(FsMagic);

    /// <summary>statx and statfs of <paramref name="directory"/>; a failure of either is
    /// reported as <paramref name="what"/> ("statfs of" it where not given).</summary>
    internal static DirectoryFacts Of(string directory, string? what = null)
    {
        int errno = Interop.StatxPath(directory, out Interop.Statx st);
        if (errno == 0)
        {
            errno = Interop.StatFsPath(directory, out Interop.StatFs fs);
            if (errno == 0)
            {
                return new DirectoryFacts(FileFacts.DeviceOf(st), fs.Bsize, fs.Type);
            }
        }
        throw Interop.GetExceptionForErrno(errno, what ?? $"statfs of {directory}");
    }
}
