using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;
using System.Text;
using MovData.Media;

namespace MovData.CApi;

/// <summary>
/// The C ABI of movdata.h. Every export catches everything: no managed exception may cross
/// into C. Failures become a negative errno, as a kernel ioctl returns them, and a sentence
/// for movdata_last_error().
/// </summary>
internal static unsafe class Exports
{
    private const int EPERM = 1, ENOENT = 2, EIO = 5, EBADF = 9, EINVAL = 22, EOPNOTSUPP = 95;

    [ThreadStatic]
    private static byte* t_lastError;

    /// <summary>"" for movdata_last_error() after a success: native memory, never moved or freed.</summary>
    private static readonly byte* EmptyString = (byte*)NativeMemory.AllocZeroed(1);

    [UnmanagedCallersOnly(EntryPoint = "movdata_move")]
    private static int Move(MovDataStruct* md) => MoveEx(md, null);

    [UnmanagedCallersOnly(EntryPoint = "movdata_move_ex")]
    private static int MoveExExport(MovDataStruct* md, MoveResultStruct* result) => MoveEx(md, result);

    private static int MoveEx(MovDataStruct* md, MoveResultStruct* result)
    {
        if (md == null)
        {
            return Fail(EINVAL, "movdata_move: md is NULL");
        }
        md->MovedLen = 0;
        return Call(() =>
        {
            try
            {
                MoveResult r = FileRange.Move(Borrow(md->DonorFd), md->DonorOffset, Borrow(md->ReceiverFd), md->ReceiverOffset, md->Length, (MoveFlags)md->Flags);
                Report(md, result, r);
            }
            catch (MoveIncompleteException e)
            {
                Report(md, result, e.Result);
                throw;
            }
        });
    }

    private static void Report(MovDataStruct* md, MoveResultStruct* result, MoveResult r)
    {
        md->MovedLen = r.MovedLength;
        if (result != null)
        {
            *result = new MoveResultStruct { Method = (int)r.Method, MovedLen = r.MovedLength, BytesCopied = r.BytesCopied };
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "movdata_clone")]
    private static int Clone(int srcFd, long srcOffset, int dstFd, long dstOffset, long length) =>
        Call(() => FileRange.Clone(Borrow(srcFd), srcOffset, Borrow(dstFd), dstOffset, length));

    [UnmanagedCallersOnly(EntryPoint = "movdata_exchange")]
    private static int Exchange(int fd1, long offset1, int fd2, long offset2, long length) =>
        Call(() => FileRange.Exchange(Borrow(fd1), offset1, Borrow(fd2), offset2, length));

    [UnmanagedCallersOnly(EntryPoint = "movdata_punch_hole")]
    private static int PunchHole(int fd, long offset, long length) => Call(() => FileRange.PunchHole(Borrow(fd), offset, length));

    [UnmanagedCallersOnly(EntryPoint = "movdata_zero_range")]
    private static int ZeroRange(int fd, long offset, long length) => Call(() => FileRange.ZeroRange(Borrow(fd), offset, length));

    [UnmanagedCallersOnly(EntryPoint = "movdata_preallocate")]
    private static int Preallocate(int fd, long offset, long length, int keepSize) =>
        Call(() => FileRange.Preallocate(Borrow(fd), offset, length, keepSize != 0));

    [UnmanagedCallersOnly(EntryPoint = "movdata_collapse")]
    private static int Collapse(int fd, long offset, long length) => Call(() => FileRange.Collapse(Borrow(fd), offset, length));

    [UnmanagedCallersOnly(EntryPoint = "movdata_insert")]
    private static int Insert(int fd, long offset, long length) => Call(() => FileRange.Insert(Borrow(fd), offset, length));

    [UnmanagedCallersOnly(EntryPoint = "movdata_splice")]
    private static int Splice(int donorFd, long donorOffset, int receiverFd, long receiverOffset, long length, uint flags) =>
        Call(() => FileRange.Splice(Borrow(donorFd), donorOffset, Borrow(receiverFd), receiverOffset, length, (MoveFlags)flags));

    [UnmanagedCallersOnly(EntryPoint = "movdata_recover")]
    private static int Recover(byte* path)
    {
        if (path == null)
        {
            return Fail(EINVAL, "movdata_recover: path is NULL");
        }
        try
        {
            IReadOnlyList<RecoveredEdit> edits = FileRange.Recover(Marshal.PtrToStringUTF8((nint)path)!);
            RecoveredEdit? failed = edits.FirstOrDefault(e => e.Outcome == RecoveryOutcome.Failed);
            if (failed is not null)
            {
                return Fail(EIO, $"the {failed.Edit} in {failed.Record} could not be finished: {failed.Detail}");
            }
            SetLastError(null);
            return edits.Count;
        }
        catch (Exception e)
        {
            return Fail(ErrnoOf(e), e.Message);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "movdata_map")]
    private static int Map(int fd, SegmentStruct* segments, nuint capacity, nuint* count)
    {
        if (count == null || (segments == null && capacity > 0))
        {
            return Fail(EINVAL, "movdata_map: count is NULL, or segments is NULL with capacity > 0");
        }
        return Call(() =>
        {
            IReadOnlyList<Segment> map = FileRange.Map(Borrow(fd));
            for (int i = 0; i < map.Count && (nuint)i < capacity; i++)
            {
                Segment s = map[i];
                segments[i] = new SegmentStruct
                {
                    Offset = s.Offset,
                    Length = s.Length,
                    Kind = (int)s.Kind,
                    Shared = s.Shared ? 1 : 0,
                    Physical = s.Physical ?? -1,
                };
            }
            *count = (nuint)map.Count;
        });
    }

    [UnmanagedCallersOnly(EntryPoint = "movdata_probe")]
    private static int Probe(byte* path, ProbeStruct* probe)
    {
        if (path == null || probe == null)
        {
            return Fail(EINVAL, "movdata_probe: path or probe is NULL");
        }
        return Call(() =>
        {
            FileSystemProbe p = FileRange.Probe(Marshal.PtrToStringUTF8((nint)path)!);
            *probe = default;
            byte[] name = Encoding.UTF8.GetBytes(p.FsType);
            for (int i = 0; i < Math.Min(name.Length, ProbeStruct.FsTypeLength - 1); i++)
            {
                probe->FsType[i] = name[i];
            }
            probe->BlockSize = p.BlockSize;
            // The enums' values are the header's MOVDATA_OP_* and MOVDATA_SUPPORT_*.
            foreach ((RangeOperation op, Support support) in p.Operations.Where(o => (int)o.Key < ProbeStruct.OperationCount))
            {
                probe->Operations[(int)op] = (int)support;
            }
        });
    }

    [UnmanagedCallersOnly(EntryPoint = "movdata_defragment")]
    private static int Defragment(int fd, DefragResultStruct* result) => Call(() =>
    {
        DefragmentResult r = FileRange.Defragment(Borrow(fd));
        if (result != null)
        {
            *result = new DefragResultStruct { ExtentsBefore = r.ExtentsBefore, ExtentsAfter = r.ExtentsAfter, BytesCopied = r.BytesCopied };
        }
    });

    /// <summary>movdata_defragment_ex's flag for <see cref="DefragmentOptions.DryRun"/>.</summary>
    internal const uint DefragDryRun = 0x1;

    [UnmanagedCallersOnly(EntryPoint = "movdata_defragment_ex")]
    private static int DefragmentEx(int fd, uint flags, DefragInfoStruct* info) => Call(() =>
    {
        if ((flags & ~DefragDryRun) != 0)
        {
            throw new ArgumentException($"flags: unknown bits 0x{flags & ~DefragDryRun:x} (only MOVDATA_DEFRAG_DRY_RUN)");
        }
        DefragmentResult r = FileRange.Defragment(Borrow(fd), new DefragmentOptions { DryRun = (flags & DefragDryRun) != 0 });
        if (info != null)
        {
            *info = new DefragInfoStruct
            {
                Method = (int)r.Method,
                ExtentsBefore = r.ExtentsBefore,
                ExtentsAfter = r.ExtentsAfter,
                IdealExtents = r.IdealExtents,
                BytesCopied = r.BytesCopied,
                SharedBytesUnshared = r.SharedBytesUnshared,
            };
        }
    });

    /// <summary>movdata_cut's flag for <see cref="CutOptions.Exact"/>; the low bits are MoveFlags.</summary>
    internal const uint CutExact = 0x100;

    [UnmanagedCallersOnly(EntryPoint = "movdata_cut")]
    private static int Cut(byte* path, double* ranges, nuint count, byte* saveRemoved, uint flags, CutResultStruct* result)
    {
        if (path == null || (ranges == null && count > 0))
        {
            return Fail(EINVAL, "movdata_cut: path is NULL, or ranges is NULL with count > 0");
        }
        if ((flags & ~(CutExact | (uint)MoveFlags.ZeroCopyOnly)) != 0)
        {
            return Fail(EINVAL, $"movdata_cut: unknown flag bits 0x{flags & ~(CutExact | (uint)MoveFlags.ZeroCopyOnly):x}");
        }
        if (count > int.MaxValue / 2)
        {
            return Fail(EINVAL, $"movdata_cut: count {count} is not a number of ranges");
        }
        var list = new TimeRange[(int)count];
        for (int i = 0; i < list.Length; i++)
        {
            list[i] = new TimeRange(ranges[2 * i], ranges[2 * i + 1]);
        }
        string file = Marshal.PtrToStringUTF8((nint)path)!;
        var options = new CutOptions
        {
            Exact = (flags & CutExact) != 0,
            SaveRemovedTo = saveRemoved == null ? null : Marshal.PtrToStringUTF8((nint)saveRemoved),
            Flags = (MoveFlags)(flags & (uint)MoveFlags.ZeroCopyOnly),
        };
        return Call(() =>
        {
            CutResult r = MediaFile.Cut(file, list, options);
            if (result != null)
            {
                *result = new CutResultStruct
                {
                    DurationBefore = r.DurationBefore,
                    DurationAfter = r.DurationAfter,
                    BytesWritten = r.BytesWritten,
                    BytesCopied = r.BytesCopied,
                    Method = (int)r.Method,
                    Removed = r.Removed.Count,
                    PacketSize = r.TransportStream?.PacketSize ?? 0,
                };
            }
        });
    }

    /// <summary>movdata_restore's flag for <see cref="RestoreOptions.DryRun"/>; the low bits are MoveFlags.</summary>
    internal const uint RestoreDryRun = 0x200;

    [UnmanagedCallersOnly(EntryPoint = "movdata_restore")]
    private static int Restore(byte* path, byte* saved, uint flags, RestoreResultStruct* result)
    {
        if (path == null || saved == null)
        {
            return Fail(EINVAL, "movdata_restore: path or saved is NULL");
        }
        if ((flags & ~(RestoreDryRun | (uint)MoveFlags.ZeroCopyOnly)) != 0)
        {
            return Fail(EINVAL, $"movdata_restore: unknown flag bits 0x{flags & ~(RestoreDryRun | (uint)MoveFlags.ZeroCopyOnly):x}");
        }
        string file = Marshal.PtrToStringUTF8((nint)path)!, from = Marshal.PtrToStringUTF8((nint)saved)!;
        var options = new RestoreOptions { DryRun = (flags & RestoreDryRun) != 0, Flags = (MoveFlags)(flags & (uint)MoveFlags.ZeroCopyOnly) };
        return Call(() =>
        {
            RestoreResult r = MediaFile.Restore(file, from, options);
            if (result != null)
            {
                *result = new RestoreResultStruct
                {
                    SizeBefore = r.SizeBefore,
                    SizeAfter = r.SizeAfter,
                    BytesWritten = r.BytesWritten,
                    BytesCopied = r.BytesCopied,
                    Method = (int)r.Method,
                    // MOVDATA_METHOD_*: a part too small to hold a whole block came back by copy.
                    PartsMethod = r.PartsMethod switch { StepMethod.ExchangeRange => 0, StepMethod.ClonePunch => 1, _ => 2 },
                    Restored = r.Restored.Count,
                    DryRun = r.DryRun ? 1 : 0,
                };
            }
        });
    }

    [UnmanagedCallersOnly(EntryPoint = "movdata_last_error")]
    private static byte* LastError() => t_lastError != null ? t_lastError : EmptyString;

    /// <summary>The caller's descriptor, borrowed: never closed here. A negative one is EBADF,
    /// as the kernel answers it (a closed one gets EBADF from the first call on it).</summary>
    private static SafeFileHandle Borrow(int fd) => fd >= 0
        ? new(fd, ownsHandle: false)
        : throw new IOException($"fd {fd} is not an open file descriptor", EBADF);

    private static int Call(Action work) => Call(() =>
    {
        work();
        return (RangeResult?)null;
    });

    private static int Call<T>(Func<T> work)
    {
        try
        {
            work();
            SetLastError(null);
            return 0;
        }
        catch (Exception e)
        {
            return Fail(ErrnoOf(e), e.Message);
        }
    }

    /// <summary>The errno a kernel ioctl would have returned for this failure.</summary>
    internal static int ErrnoOf(Exception e) => Errno.Of(e);

    private static int Fail(int errno, string message)
    {
        SetLastError(InHeaderTerms(message));
        return -errno;
    }

    /// <summary>The library names what a caller passed by its C# parameters; a C caller
    /// passed the header's: donor_offset, fd, MOVDATA_ZERO_COPY_ONLY.</summary>
    private static readonly Dictionary<string, string> HeaderNames = new()
    {
        ["donorOffset"] = "donor_offset",
        ["receiverOffset"] = "receiver_offset",
        ["sourceOffset"] = "src_offset",
        ["destinationOffset"] = "dst_offset",
        ["file1"] = "fd1",
        ["file2"] = "fd2",
        ["handle"] = "fd",
        ["keepSize"] = "keep_size",
        ["ZeroCopyOnly"] = "MOVDATA_ZERO_COPY_ONLY",
    };

    private static readonly System.Text.RegularExpressions.Regex LibraryName = new($@"(?<![\w/.-])({string.Join('|', HeaderNames.Keys)})(?![\w/.-])");

    internal static string InHeaderTerms(string message) => LibraryName.Replace(message, m => HeaderNames[m.Value]);

    private static void SetLastError(string? message)
    {
        if (t_lastError != null)
        {
            NativeMemory.Free(t_lastError);
            t_lastError = null;
        }
        if (message is not null)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(message);
            t_lastError = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
            bytes.CopyTo(new Span<byte>(t_lastError, bytes.Length));
            t_lastError[bytes.Length] = 0;
        }
    }
}
