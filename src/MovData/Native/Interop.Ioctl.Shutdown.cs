using Microsoft.Win32.SafeHandles;

namespace MovData.Native;

internal static partial class Interop
{
    // Used only by the journal's test switch (MOVDATA_TEST_CRASH=shutdown:...), to crash a
    // filesystem mid-edit as xfstests' godown does. ext4 answers the same request number
    // (EXT4_IOC_SHUTDOWN) with the same flags.
    internal const uint XFS_IOC_GOINGDOWN = 0x8004587D; // _IOR('X', 125, __u32)
    internal const uint XFS_FSOP_GOING_FLAGS_LOGFLUSH = 1; // commit the log, write no data, stop
    internal const uint XFS_FSOP_GOING_FLAGS_NOLOGFLUSH = 2; // stop now; the log is not flushed

    /// <summary>Shuts the filesystem holding <paramref name="fd"/> down without flushing its
    /// log: what was not yet durable is lost, as in a power cut. With
    /// <paramref name="logFlush"/>, the log is committed first but no data is written: the
    /// metadata of every change so far survives, the data only where it was already on disk
    /// (the window in which a swap of extents could point at unwritten blocks). Returns 0 or errno.</summary>
    internal static unsafe int ShutdownFileSystem(SafeFileHandle fd, bool logFlush = false)
    {
        uint flags = logFlush ? XFS_FSOP_GOING_FLAGS_LOGFLUSH : XFS_FSOP_GOING_FLAGS_NOLOGFLUSH;
        return Ioctl(fd, XFS_IOC_GOINGDOWN, &flags);
    }
}
