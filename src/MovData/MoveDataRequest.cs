using Microsoft.Win32.SafeHandles;

namespace MovData;

/// <summary>
/// The seed's <c>struct mov_data</c>, field for field, so code written against the 2015
/// proposal ports line for line: where it called <c>ioctl(fd, FS_IOC_MOV_DATA, &amp;md)</c>,
/// call <see cref="FileRange.Move(MoveDataRequest)"/>.
/// </summary>
public sealed class MoveDataRequest
{
    /// <summary>donor_fd: the file the data leaves (opened read-write).</summary>
    public required SafeFileHandle DonorFd { get; set; }

    /// <summary>receiver_fd: the file the data arrives in (opened read-write).</summary>
    public required SafeFileHandle ReceiverFd { get; set; }

    /// <summary>donor_offset: block-aligned start of the range in the donor.</summary>
    public long DonorOffset { get; set; }

    /// <summary>receiver_offset: block-aligned start of the hole in the receiver.</summary>
    public long ReceiverOffset { get; set; }

    /// <summary>length: block-aligned number of bytes to move.</summary>
    public long Length { get; set; }

    /// <summary>moved_len: set by the call, on success and on a failure part-way.</summary>
    public long MovedLen { get; set; }

    /// <summary>flags: <see cref="MoveFlags"/> bits; unknown bits are refused.</summary>
    public int Flags { get; set; }
}
