using MovData.CApi;
using MovData.Tests.Harness;
using System.Runtime.InteropServices;

namespace MovData.Tests.CApi;

/// <summary>libmovdata.so and movdata.h, proven from C (gcc) and Python (ctypes) on every
/// scratch filesystem, and the header's structs pinned against the library's.</summary>
[Collection(MovData.Tests.Packaging.ReleaseBuilds.Name)]
public sealed class CApiTests
{
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void CProgram_MovesARange(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        (int code, string output) = Tools.Run(NativeLibrary.CProofProgram, dir.Path);
        Assert.True(code == 0, output);
        Assert.Equal($"ok {dir.Kind.MoveMethod.ToContractName()}", output.Trim());
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void PythonModule_MovesARange_AndRaisesOSError(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        (int code, string output) = NativeLibrary.Python(dir.Path);
        Assert.True(code == 0, output);
        Assert.Equal($"ok {dir.Kind.MoveMethod.ToContractName()}", output.Trim());
    }

    /// <summary>movdata.py defines the header's structs once, for its users: gcc is the judge of their layout.</summary>
    [Fact]
    public void PythonModule_StructsMatchTheHeader()
    {
        (int code, string output) = NativeLibrary.Python("--layout");
        Assert.True(code == 0, output);
        Dictionary<string, long> python = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .ToDictionary(p => string.Join(' ', p[..^1]), p => long.Parse(p[^1], System.Globalization.CultureInfo.InvariantCulture));
        Dictionary<string, long> c = HeaderLayout.Value.Where(kv => !kv.Key.StartsWith("MOVDATA_", StringComparison.Ordinal)).ToDictionary();
        CProgram.AssertSame(c, python, "movdata.h", "movdata.py");
    }

    /// <summary>The transport stream (24 s) and the MP4 (12 s, moov at the end), each with keyframes every 2 s.</summary>
    public static TheoryData<string, string> RecordingKinds() => Scratch.EveryFileSystemWith(["h264-aac", "mp4-h264-aac"]);

    [Theory, MemberData(nameof(RecordingKinds))]
    public void CProgram_CutsARecording_AndFfmpegDecodesIt(string fs, string kind)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = MovData.Tests.Media.Recordings.CopyTo(kind, dir);
        bool ts = kind == "h264-aac";
        var before = MovData.Tests.Media.Ffmpeg.VideoPackets(rec);
        (int code, string output) = Tools.Run(NativeLibrary.CCutProgram, rec, ts ? "188" : "0");
        Assert.True(code == 0, output);
        // Keyframes every 2 s: 1.5-4.5 removes 2-4, 5.5-8.5 removes 6-8.
        Assert.Equal($"ok {dir.Kind.ShiftMethod.ToContractName()} 2 {(ts ? "20.000" : "8.000")}", output.Trim());
        Assert.Equal(before.Count - 4 * 25, MovData.Tests.Media.Ffmpeg.VideoPackets(rec).Count);
        Assert.Equal("", MovData.Tests.Media.Ffmpeg.DecodeErrors(rec));
    }

    [Theory, MemberData(nameof(RecordingKinds))]
    public void PythonModule_CutsWithSaveRemoved_AndRestoresTheRecording(string fs, string kind)
    {
        using ScratchDir dir = Scratch.On(fs);
        string rec = MovData.Tests.Media.Recordings.CopyTo(kind, dir);
        string original = MovData.Tests.Media.RestoreTests.Sha256(rec);
        (int code, string output) = NativeLibrary.Python("--undo", rec, dir.File("ads" + Path.GetExtension(rec)));
        Assert.True(code == 0, output);
        Assert.Equal($"ok {(dir.Kind.ZeroCopy ? dir.Kind.MoveMethod : MoveMethod.CopyPunch).ToContractName()} 2", output.Trim());
        Assert.Equal(original, MovData.Tests.Media.RestoreTests.Sha256(rec));
    }

    /// <summary>The sizes, offsets and constants of movdata.h, as gcc compiles them.</summary>
    private static readonly Lazy<Dictionary<string, long>> HeaderLayout = new(() => CProgram.Values("""
            #include <stdio.h>
            #include <stddef.h>
            #include "movdata.h"
            #define P(name, value) printf("%s %zu\n", name, (size_t)(value))
            #define S(type) P("sizeof " #type, sizeof(struct type))
            #define O(type, field) P(#type "." #field, offsetof(struct type, field))
            int main(void) {
              S(mov_data); O(mov_data, donor_fd); O(mov_data, receiver_fd); O(mov_data, donor_offset); O(mov_data, receiver_offset);
              O(mov_data, length); O(mov_data, moved_len); O(mov_data, flags);
              S(movdata_result); O(movdata_result, method); O(movdata_result, moved_len); O(movdata_result, bytes_copied);
              S(movdata_segment); O(movdata_segment, offset); O(movdata_segment, length); O(movdata_segment, kind); O(movdata_segment, shared); O(movdata_segment, physical);
              S(movdata_probe); O(movdata_probe, fs_type); O(movdata_probe, block_size); O(movdata_probe, operations);
              S(movdata_defrag_result); O(movdata_defrag_result, extents_before); O(movdata_defrag_result, extents_after); O(movdata_defrag_result, bytes_copied);
              S(movdata_defrag_info); O(movdata_defrag_info, method); O(movdata_defrag_info, extents_before); O(movdata_defrag_info, extents_after);
              O(movdata_defrag_info, ideal_extents); O(movdata_defrag_info, bytes_copied); O(movdata_defrag_info, shared_bytes_unshared);
              P("MOVDATA_DEFRAG_DRY_RUN", MOVDATA_DEFRAG_DRY_RUN); P("MOVDATA_DEFRAG_NONE", MOVDATA_DEFRAG_NONE); P("MOVDATA_DEFRAG_COPY_EXCHANGE", MOVDATA_DEFRAG_COPY_EXCHANGE);
              P("MOVDATA_DEFRAG_COPY_DEDUPE", MOVDATA_DEFRAG_COPY_DEDUPE); P("MOVDATA_DEFRAG_MOVE_EXTENTS", MOVDATA_DEFRAG_MOVE_EXTENTS); P("MOVDATA_DEFRAG_DEFRAG_RANGE", MOVDATA_DEFRAG_DEFRAG_RANGE); P("MOVDATA_DEFRAG_COPY_CLONE", MOVDATA_DEFRAG_COPY_CLONE);
              S(movdata_cut_result); O(movdata_cut_result, duration_before); O(movdata_cut_result, duration_after); O(movdata_cut_result, bytes_written);
              O(movdata_cut_result, bytes_copied); O(movdata_cut_result, method); O(movdata_cut_result, removed); O(movdata_cut_result, packet_size);
              P("MOVDATA_CUT_EXACT", MOVDATA_CUT_EXACT);
              S(movdata_restore_result); O(movdata_restore_result, size_before); O(movdata_restore_result, size_after); O(movdata_restore_result, bytes_written);
              O(movdata_restore_result, bytes_copied); O(movdata_restore_result, method); O(movdata_restore_result, parts_method); O(movdata_restore_result, restored);
              O(movdata_restore_result, dry_run); P("MOVDATA_RESTORE_DRY_RUN", MOVDATA_RESTORE_DRY_RUN);
              P("MOVDATA_ZERO_COPY_ONLY", MOVDATA_ZERO_COPY_ONLY); P("MOVDATA_OP_COUNT", MOVDATA_OP_COUNT);
              P("MOVDATA_METHOD_EXCHANGE_RANGE", MOVDATA_METHOD_EXCHANGE_RANGE); P("MOVDATA_METHOD_CLONE_PUNCH", MOVDATA_METHOD_CLONE_PUNCH); P("MOVDATA_METHOD_COPY_PUNCH", MOVDATA_METHOD_COPY_PUNCH);
              P("MOVDATA_OP_MOVE", MOVDATA_OP_MOVE); P("MOVDATA_OP_CLONE", MOVDATA_OP_CLONE); P("MOVDATA_OP_EXCHANGE", MOVDATA_OP_EXCHANGE);
              P("MOVDATA_OP_COLLAPSE", MOVDATA_OP_COLLAPSE); P("MOVDATA_OP_INSERT", MOVDATA_OP_INSERT); P("MOVDATA_OP_PUNCH", MOVDATA_OP_PUNCH);
              P("MOVDATA_OP_ZERO", MOVDATA_OP_ZERO); P("MOVDATA_OP_PREALLOCATE", MOVDATA_OP_PREALLOCATE); P("MOVDATA_OP_DEFRAGMENT", MOVDATA_OP_DEFRAGMENT);
              P("MOVDATA_SEGMENT_DATA", MOVDATA_SEGMENT_DATA); P("MOVDATA_SEGMENT_HOLE", MOVDATA_SEGMENT_HOLE); P("MOVDATA_SEGMENT_UNWRITTEN", MOVDATA_SEGMENT_UNWRITTEN);
              P("MOVDATA_SUPPORT_NATIVE", MOVDATA_SUPPORT_NATIVE); P("MOVDATA_SUPPORT_EMULATED", MOVDATA_SUPPORT_EMULATED); P("MOVDATA_SUPPORT_COPY", MOVDATA_SUPPORT_COPY); P("MOVDATA_SUPPORT_UNSUPPORTED", MOVDATA_SUPPORT_UNSUPPORTED);
              return 0;
            }
            """, $"-I{Path.Combine(NativeLibrary.RepoRoot, "src", "MovData.Interop")}"));

    [Fact]
    public void Header_StructsMatchTheLibrary()
    {
        Dictionary<string, long> c = HeaderLayout.Value;
        static long Off<T>(string f) => Marshal.OffsetOf<T>(f).ToInt64();
        var ours = new Dictionary<string, long>
        {
            ["sizeof mov_data"] = Marshal.SizeOf<MovDataStruct>(),
            ["mov_data.donor_fd"] = Off<MovDataStruct>("DonorFd"),
            ["mov_data.receiver_fd"] = Off<MovDataStruct>("ReceiverFd"),
            ["mov_data.donor_offset"] = Off<MovDataStruct>("DonorOffset"),
            ["mov_data.receiver_offset"] = Off<MovDataStruct>("ReceiverOffset"),
            ["mov_data.length"] = Off<MovDataStruct>("Length"),
            ["mov_data.moved_len"] = Off<MovDataStruct>("MovedLen"),
            ["mov_data.flags"] = Off<MovDataStruct>("Flags"),
            ["sizeof movdata_result"] = Marshal.SizeOf<MoveResultStruct>(),
            ["movdata_result.method"] = Off<MoveResultStruct>("Method"),
            ["movdata_result.moved_len"] = Off<MoveResultStruct>("MovedLen"),
            ["movdata_result.bytes_copied"] = Off<MoveResultStruct>("BytesCopied"),
            ["sizeof movdata_segment"] = Marshal.SizeOf<SegmentStruct>(),
            ["movdata_segment.offset"] = Off<SegmentStruct>("Offset"),
            ["movdata_segment.length"] = Off<SegmentStruct>("Length"),
            ["movdata_segment.kind"] = Off<SegmentStruct>("Kind"),
            ["movdata_segment.shared"] = Off<SegmentStruct>("Shared"),
            ["movdata_segment.physical"] = Off<SegmentStruct>("Physical"),
            ["sizeof movdata_probe"] = Marshal.SizeOf<ProbeStruct>(),
            ["movdata_probe.fs_type"] = Off<ProbeStruct>("FsType"),
            ["movdata_probe.block_size"] = Off<ProbeStruct>("BlockSize"),
            ["movdata_probe.operations"] = Off<ProbeStruct>("Operations"),
            ["sizeof movdata_defrag_result"] = Marshal.SizeOf<DefragResultStruct>(),
            ["movdata_defrag_result.extents_before"] = Off<DefragResultStruct>("ExtentsBefore"),
            ["movdata_defrag_result.extents_after"] = Off<DefragResultStruct>("ExtentsAfter"),
            ["movdata_defrag_result.bytes_copied"] = Off<DefragResultStruct>("BytesCopied"),
            ["sizeof movdata_defrag_info"] = Marshal.SizeOf<DefragInfoStruct>(),
            ["movdata_defrag_info.method"] = Off<DefragInfoStruct>("Method"),
            ["movdata_defrag_info.extents_before"] = Off<DefragInfoStruct>("ExtentsBefore"),
            ["movdata_defrag_info.extents_after"] = Off<DefragInfoStruct>("ExtentsAfter"),
            ["movdata_defrag_info.ideal_extents"] = Off<DefragInfoStruct>("IdealExtents"),
            ["movdata_defrag_info.bytes_copied"] = Off<DefragInfoStruct>("BytesCopied"),
            ["movdata_defrag_info.shared_bytes_unshared"] = Off<DefragInfoStruct>("SharedBytesUnshared"),
            ["MOVDATA_DEFRAG_DRY_RUN"] = Exports.DefragDryRun,
            ["MOVDATA_DEFRAG_NONE"] = (long)DefragmentMethod.None,
            ["MOVDATA_DEFRAG_COPY_EXCHANGE"] = (long)DefragmentMethod.CopyExchange,
            ["MOVDATA_DEFRAG_COPY_DEDUPE"] = (long)DefragmentMethod.CopyDedupe,
            ["MOVDATA_DEFRAG_MOVE_EXTENTS"] = (long)DefragmentMethod.MoveExtents,
            ["MOVDATA_DEFRAG_DEFRAG_RANGE"] = (long)DefragmentMethod.DefragRange,
            ["MOVDATA_DEFRAG_COPY_CLONE"] = (long)DefragmentMethod.CopyClone,
            ["sizeof movdata_cut_result"] = Marshal.SizeOf<CutResultStruct>(),
            ["movdata_cut_result.duration_before"] = Off<CutResultStruct>("DurationBefore"),
            ["movdata_cut_result.duration_after"] = Off<CutResultStruct>("DurationAfter"),
            ["movdata_cut_result.bytes_written"] = Off<CutResultStruct>("BytesWritten"),
            ["movdata_cut_result.bytes_copied"] = Off<CutResultStruct>("BytesCopied"),
            ["movdata_cut_result.method"] = Off<CutResultStruct>("Method"),
            ["movdata_cut_result.removed"] = Off<CutResultStruct>("Removed"),
            ["movdata_cut_result.packet_size"] = Off<CutResultStruct>("PacketSize"),
            ["MOVDATA_CUT_EXACT"] = Exports.CutExact,
            ["sizeof movdata_restore_result"] = Marshal.SizeOf<RestoreResultStruct>(),
            ["movdata_restore_result.size_before"] = Off<RestoreResultStruct>("SizeBefore"),
            ["movdata_restore_result.size_after"] = Off<RestoreResultStruct>("SizeAfter"),
            ["movdata_restore_result.bytes_written"] = Off<RestoreResultStruct>("BytesWritten"),
            ["movdata_restore_result.bytes_copied"] = Off<RestoreResultStruct>("BytesCopied"),
            ["movdata_restore_result.method"] = Off<RestoreResultStruct>("Method"),
            ["movdata_restore_result.parts_method"] = Off<RestoreResultStruct>("PartsMethod"),
            ["movdata_restore_result.restored"] = Off<RestoreResultStruct>("Restored"),
            ["movdata_restore_result.dry_run"] = Off<RestoreResultStruct>("DryRun"),
            ["MOVDATA_RESTORE_DRY_RUN"] = Exports.RestoreDryRun,
            ["MOVDATA_ZERO_COPY_ONLY"] = (long)MoveFlags.ZeroCopyOnly,
            ["MOVDATA_OP_COUNT"] = ProbeStruct.OperationCount,
            ["MOVDATA_OP_MOVE"] = (long)RangeOperation.Move,
            ["MOVDATA_OP_CLONE"] = (long)RangeOperation.Clone,
            ["MOVDATA_OP_EXCHANGE"] = (long)RangeOperation.Exchange,
            ["MOVDATA_OP_COLLAPSE"] = (long)RangeOperation.Collapse,
            ["MOVDATA_OP_INSERT"] = (long)RangeOperation.Insert,
            ["MOVDATA_OP_PUNCH"] = (long)RangeOperation.Punch,
            ["MOVDATA_OP_ZERO"] = (long)RangeOperation.Zero,
            ["MOVDATA_OP_PREALLOCATE"] = (long)RangeOperation.Preallocate,
            ["MOVDATA_OP_DEFRAGMENT"] = (long)RangeOperation.Defragment,
            ["MOVDATA_SEGMENT_DATA"] = (long)SegmentKind.Data,
            ["MOVDATA_SEGMENT_HOLE"] = (long)SegmentKind.Hole,
            ["MOVDATA_SEGMENT_UNWRITTEN"] = (long)SegmentKind.Unwritten,
            ["MOVDATA_METHOD_EXCHANGE_RANGE"] = (long)MoveMethod.ExchangeRange,
            ["MOVDATA_METHOD_CLONE_PUNCH"] = (long)MoveMethod.ClonePunch,
            ["MOVDATA_METHOD_COPY_PUNCH"] = (long)MoveMethod.CopyPunch,
            ["MOVDATA_SUPPORT_NATIVE"] = (long)Support.Native,
            ["MOVDATA_SUPPORT_EMULATED"] = (long)Support.Emulated,
            ["MOVDATA_SUPPORT_COPY"] = (long)Support.Copy,
            ["MOVDATA_SUPPORT_UNSUPPORTED"] = (long)Support.Unsupported,
        };
        CProgram.AssertSame(c, ours, "movdata.h", "the library");
        // A cut's method is a RangeMethod, told in MOVDATA_SUPPORT_* values.
        Assert.Equal((long)RangeMethod.Native, c["MOVDATA_SUPPORT_NATIVE"]);
        Assert.Equal((long)RangeMethod.Emulated, c["MOVDATA_SUPPORT_EMULATED"]);
        Assert.Equal((long)RangeMethod.Copy, c["MOVDATA_SUPPORT_COPY"]);
        // Every operation the library probes has its slot in struct movdata_probe, and no more.
        Assert.Equal(ProbeStruct.OperationCount, Enum.GetValues<RangeOperation>().Length);
    }

    /// <summary>The C ABI's sentences use the header's names for what the caller passed, and
    /// leave paths alone, even a path with such a name in it.</summary>
    [Fact]
    public void LastError_UsesTheHeadersNames_AndLeavesPathsAlone()
    {
        Assert.Equal("rule 1 (alignment): donor_offset 1 is not a multiple of the block size 4096",
            Exports.InHeaderTerms("rule 1 (alignment): donorOffset 1 is not a multiple of the block size 4096"));
        Assert.Equal("the donor fd must be opened for reading and writing; MOVDATA_ZERO_COPY_ONLY forbids that",
            Exports.InHeaderTerms("the donor handle must be opened for reading and writing; ZeroCopyOnly forbids that"));
        Assert.Equal("statx of /srv/handle/donorOffset.ts: ENOENT", Exports.InHeaderTerms("statx of /srv/handle/donorOffset.ts: ENOENT"));
    }

    [Fact]
    public void ErrnoOf_MapsEveryFailureAsAnIoctlWould()
    {
        Assert.Equal(22, Exports.ErrnoOf(new ContractViolationException(ContractRule.Alignment, "x", "m")));
        Assert.Equal(95, Exports.ErrnoOf(new FileSystemNotSupportedException("m")));
        Assert.Equal(18, Exports.ErrnoOf(new FileSystemNotSupportedException("m", 18)));
        Assert.Equal(1, Exports.ErrnoOf(new UnauthorizedAccessException("m")));
        Assert.Equal(30, Exports.ErrnoOf(new UnauthorizedAccessException("m", new IOException("m", 30))));
        Assert.Equal(2, Exports.ErrnoOf(new FileNotFoundException("m")));
        Assert.Equal(28, Exports.ErrnoOf(new MoveIncompleteException(new MoveResult(4096, MoveMethod.CopyPunch, 4096), new IOException("m", 28))));
        Assert.Equal(5, Exports.ErrnoOf(new InvalidOperationException("m")));
        Assert.Equal(16, Exports.ErrnoOf(new IOException("m", 16)));
    }
}
