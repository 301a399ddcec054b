using System.Runtime.InteropServices;

namespace MovData.CApi;

// The structs of movdata.h; a test compiles the header with gcc and compares sizes and offsets.

/// <summary>struct mov_data: the seed's fields in the seed's order.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MovDataStruct
{
    internal int DonorFd;
    internal int ReceiverFd;
    internal long DonorOffset;
    internal long ReceiverOffset;
    internal long Length;
    internal long MovedLen;
    internal int Flags;
}

/// <summary>struct movdata_result.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MoveResultStruct
{
    internal int Method;
    internal int Reserved;
    internal long MovedLen;
    internal long BytesCopied;
}

/// <summary>struct movdata_segment.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SegmentStruct
{
    internal long Offset;
    internal long Length;
    internal int Kind;
    internal int Shared;
    internal long Physical;
}

/// <summary>struct movdata_probe.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ProbeStruct
{
    internal const int FsTypeLength = 16;
    internal const int OperationCount = 9;

    internal fixed byte FsType[FsTypeLength];
    internal long BlockSize;
    internal fixed int Operations[OperationCount];
}

/// <summary>struct movdata_defrag_result.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DefragResultStruct
{
    internal int ExtentsBefore;
    internal int ExtentsAfter;
    internal long BytesCopied;
}

/// <summary>struct movdata_defrag_info.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DefragInfoStruct
{
    internal int Method;
    internal int ExtentsBefore;
    internal int ExtentsAfter;
    internal int IdealExtents;
    internal long BytesCopied;
    internal long SharedBytesUnshared;
}

/// <summary>struct movdata_cut_result.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CutResultStruct
{
    internal double DurationBefore;
    internal double DurationAfter;
    internal long BytesWritten;
    internal long BytesCopied;
    internal int Method;
    internal int Removed;
    internal int PacketSize;
    internal int Reserved;
}

/// <summary>struct movdata_restore_result (movdata.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RestoreResultStruct
{
    internal long SizeBefore;
    internal long SizeAfter;
    internal long BytesWritten;
    internal long BytesCopied;
    internal int Method;
    internal int PartsMethod;
    internal int Restored;
    internal int DryRun;
}
