using System.ComponentModel;
using System.Globalization;
using System.Text;

namespace MovData.Media;

/// <summary>The containers MovData reads: transport streams (read and cut) and MP4/MOV (read).</summary>
public enum RecordingFormat
{
    /// <summary>MPEG transport stream: 188-byte packets (broadcast, DVB, ATSC, IPTV recordings).</summary>
    MpegTs,

    /// <summary>BDAV MPEG-2 transport stream (Blu-ray, AVCHD): each packet behind a 4-byte
    /// TP_extra_header carrying a copy-permission field and an arrival timestamp, 192 bytes.</summary>
    M2ts,

    /// <summary>MP4 (ISO base media file format: phones, cameras, OBS, ffmpeg): boxes, an index
    /// (moov) of every sample's offset, size and time.</summary>
    Mp4,

    /// <summary>QuickTime MOV: the same boxes as MP4 (major brand "qt  ", or no ftyp at all).</summary>
    Mov,
}

/// <summary>What a stream carries.</summary>
public enum MediaStreamKind
{
    /// <summary>Pictures.</summary>
    Video,

    /// <summary>Sound.</summary>
    Audio,

    /// <summary>Subtitles, teletext, data, or a type this library does not name.</summary>
    Other,
}

/// <summary>What <see cref="MediaFile.Inspect(string, IProgress{long}?, CancellationToken)"/> finds in a recording.</summary>
/// <param name="Format">The container: MPEG-TS, M2TS, MP4 or MOV.</param>
/// <param name="Size">The file's size in bytes.</param>
/// <param name="Duration">Seconds from the first video frame's presentation to the end of the last (in radio, of the audio stream cuts are made on).</param>
/// <param name="Keyframes">Random-access points of the video (read from the whole file); in radio, the audio PES that start with a frame.</param>
/// <param name="MeanGop">Mean seconds between keyframes.</param>
/// <param name="CutMethod">How a cut shifts what follows it here: native (XFS, ext4), emulated (btrfs clones) or copy (tmpfs).</param>
public sealed record RecordingInfo(RecordingFormat Format, long Size, double Duration, int Keyframes, double MeanGop, RangeMethod CutMethod)
{
    /// <summary>What only a transport stream has (packet grid, programs, PIDs); set for
    /// <see cref="RecordingFormat.MpegTs"/> and <see cref="RecordingFormat.M2ts"/>, null for
    /// any other format.</summary>
    public TransportStreamDetails? TransportStream { get; init; }

    /// <summary>What only an MP4 or MOV file has (brands, moov, tracks); set for
    /// <see cref="RecordingFormat.Mp4"/> and <see cref="RecordingFormat.Mov"/>, null for any
    /// other format.</summary>
    public IsoBmffDetails? IsoBmff { get; init; }

    /// <summary>The file holds the parts a cut removed from a recording and ends in the
    /// manifest that undoes that cut (<see cref="CutOptions.SaveRemovedTo"/>): it plays, but it
    /// is given to <see cref="MediaFile.Restore"/>, and <see cref="MediaFile.Cut"/> refuses it.</summary>
    public bool SavedParts { get; init; }

    /// <summary><see cref="TransportStreamDetails.PacketSize"/>, where it was before formats had details of their own.</summary>
    /// <exception cref="InvalidOperationException">The recording is not a transport stream.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public int PacketSize => Ts.PacketSize;

    /// <summary><see cref="TransportStreamDetails.FirstPacket"/>, where it was before formats had details of their own.</summary>
    /// <exception cref="InvalidOperationException">The recording is not a transport stream.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public long FirstPacket => Ts.FirstPacket;

    /// <summary><see cref="TransportStreamDetails.Programs"/>, where they were before formats had details of their own.</summary>
    /// <exception cref="InvalidOperationException">The recording is not a transport stream.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public IReadOnlyList<MediaProgram> Programs => Ts.Programs;

    /// <summary><see cref="TransportStreamDetails.Video"/>, where it was before formats had details of their own.</summary>
    /// <exception cref="InvalidOperationException">The recording is not a transport stream.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public MediaTrack? Video => Ts.Video;

    /// <summary><see cref="TransportStreamDetails.PartialLastPacket"/>, where it was before formats had details of their own.</summary>
    /// <exception cref="InvalidOperationException">The recording is not a transport stream.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public long PartialLastPacket => Ts.PartialLastPacket;

    private TransportStreamDetails Ts => TransportStream ?? throw new InvalidOperationException($"a {Format} recording has no transport-stream details");

    // ToString lists the recording as it is now shaped: the members kept for older callers
    // would repeat TransportStream's (and throw for another format).
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Format = {Format}, Size = {Size}, Duration = {Duration}, Keyframes = {Keyframes}, MeanGop = {MeanGop}, CutMethod = {CutMethod}, TransportStream = {TransportStream}, IsoBmff = {IsoBmff}");
        return true;
    }
}

/// <summary>A span of a recording's timeline in seconds, time 0 being the first video frame's presentation (in radio, the first audio PES's).</summary>
/// <param name="From">Start, seconds.</param>
/// <param name="To">End, seconds; past the end means to the end.</param>
public readonly record struct TimeRange(double From, double To)
{
    /// <summary>"93.5-120", as the CLI prints it; "93.5-end" for a range that runs to the end.</summary>
    public override string ToString() => double.IsPositiveInfinity(To) ? FormattableString.Invariant($"{From}-end") : FormattableString.Invariant($"{From}-{To}");
}

/// <summary>Options of <see cref="MediaFile.Cut(string, IReadOnlyList{TimeRange}, CutOptions?, IProgress{EditProgress}?, CancellationToken)"/>.</summary>
public sealed record CutOptions
{
    /// <summary>Cut at the video frames nearest the times given instead of snapping to keyframes
    /// (what follows a cut then does not start on a keyframe, and decoders report errors until
    /// the next one).</summary>
    public bool Exact { get; init; }

    /// <summary>Move what is removed into this new file (it must not exist), itself a playable
    /// recording of the same format (a transport stream with the program tables in front of
    /// each part; an MP4 with a moov of its own), instead of discarding it. A name ending as
    /// another format's files do (".ts" for an MP4's parts) is refused: <see cref="ArgumentException"/>.</summary>
    public string? SaveRemovedTo { get; init; }

    /// <summary><see cref="MoveFlags.ZeroCopyOnly"/> refuses, changing nothing, where the tail
    /// after a cut would be copied (tmpfs) or the removed ranges could not be moved without copying.</summary>
    public MoveFlags Flags { get; init; }

    /// <summary>Plan the cut on the file as it is and return what it would do, changing nothing:
    /// no journal record, no byte of the recording, no <see cref="SaveRemovedTo"/> file. The
    /// result is the one the cut would return (ranges, bytes written, durations, method), with
    /// <see cref="CutResult.DryRun"/> set and its copying predicted from the plan.</summary>
    public bool DryRun { get; init; }

    /// <summary>Not needed since 2026-12-05, and not read: a cut rewrites the EDL named like the
    /// recording (<c>REC.edl</c> for <c>REC.ts</c>: the one Kodi and MPlayer apply to it)
    /// whatever its ranges came from (<see cref="CutResult.EdlReplaced"/>); an EDL named
    /// otherwise is left as it is.</summary>
    [Obsolete("A cut rewrites the EDL named like the recording whatever its ranges came from; this is not read.")]
    public string? Edl { get; init; }
}

/// <summary>Options of <see cref="MediaFile.Restore(string, string, RestoreOptions?, IProgress{EditProgress}?, CancellationToken)"/>.</summary>
public sealed record RestoreOptions
{
    /// <summary>Check the two files and plan the restore, and say what it would do, changing
    /// nothing (and finishing no interrupted edit).</summary>
    public bool DryRun { get; init; }

    /// <summary><see cref="MoveFlags.ZeroCopyOnly"/> refuses, changing nothing, where the
    /// restore would copy more than the partial edge blocks of each part.</summary>
    public MoveFlags Flags { get; init; }
}

/// <summary>What a restore did (or, for a dry run, would do).</summary>
/// <param name="Format">The container.</param>
/// <param name="SizeBefore">The recording's size before the restore (as the cut left it).</param>
/// <param name="SizeAfter">Its size after: as it was before the cut.</param>
/// <param name="Restored">The ranges put back, in seconds of the recording as it was.</param>
/// <param name="BytesWritten">Bytes written in place: the original bytes the cut overwrote, and the EDL.</param>
/// <param name="BytesCopied">Bytes of data copied (the partial edge blocks of each part where
/// blocks move without copying; every part where they cannot, as on ext4; a dry run's is what it would copy).</param>
/// <param name="Method">How the holes were put back: native (XFS, ext4), emulated (btrfs clones) or copy.</param>
/// <param name="PartsMethod">How the parts came back: exchange-range, clone-punch or copy-punch (a dry run's: as planned).</param>
/// <param name="DryRun">Nothing was changed: this is what the restore would do.</param>
public sealed record RestoreResult(RecordingFormat Format, long SizeBefore, long SizeAfter, IReadOnlyList<TimeRange> Restored,
    long BytesWritten, long BytesCopied, RangeMethod Method, StepMethod PartsMethod, bool DryRun)
{
    /// <summary>The EDL written back beside the recording (the one the cut was made from), if any.</summary>
    public string? EdlRestoredTo { get; init; }

    /// <summary>Why the EDL the cut replaced was not written back (the file there changed since), if so.</summary>
    public string? EdlNote { get; init; }

    /// <summary>The file of removed parts the restore took them from (removed by a restore, not by a dry run).</summary>
    public string? SavedFrom { get; init; }

    /// <summary>Interrupted edits of the two files finished before this restore began.</summary>
    public IReadOnlyList<RecoveredEdit> Recovered { get; init; } = [];

    /// <summary>One line: what was put back and what it cost.</summary>
    public override string ToString() => FormattableString.Invariant(
        $"{(DryRun ? "would restore" : "restored")} {Restored.Count} range(s) of {Format}: {SizeBefore} -> {SizeAfter} bytes, {BytesWritten} bytes written, {BytesCopied} copied, {Method.ToContractName()}, parts {PartsMethod.ToContractName()}");
}

/// <summary>A span of a file's bytes.</summary>
/// <param name="Offset">Where it starts.</param>
/// <param name="Length">How many bytes.</param>
public readonly record struct ByteSpan(long Offset, long Length);

/// <summary>One range a cut removed.</summary>
/// <param name="From">Seconds, in the recording as it was: the first removed frame's presentation time.</param>
/// <param name="To">Seconds: the presentation time of the first frame kept after it (the end, for a range that reaches it).</param>
/// <param name="Offset">Byte offset of the removed packets in the file as it was (MP4, MOV:
/// of the first removed video sample in file order).</param>
/// <param name="Length">Bytes of packets removed (MP4, MOV: of the video samples removed).</param>
public sealed record RemovedRange(double From, double To, long Offset, long Length);

/// <summary>What a cut did.</summary>
/// <param name="Format">The container: MPEG-TS, M2TS, MP4 or MOV.</param>
/// <param name="DurationBefore">Seconds before.</param>
/// <param name="DurationAfter">Seconds after.</param>
/// <param name="Removed">The ranges removed, in order; empty if no range held a whole GOP.</param>
/// <param name="Unchanged">The ranges asked for that removed nothing (no whole GOP in them).</param>
/// <param name="BytesWritten">Bytes written in place: padding the format skips (null packets), program tables, broken-link marks (MP4, MOV: the new moov, box sizes, marks).</param>
/// <param name="BytesCopied">Bytes of data copied (0 where the filesystem shifts by extents and the removed parts moved without copying).</param>
/// <param name="Method">How what follows each cut was shifted: native, emulated (clones) or copy.</param>
/// <param name="SavedTo">The file the removed ranges were moved into, if any.</param>
public sealed record CutResult(RecordingFormat Format, double DurationBefore, double DurationAfter,
    IReadOnlyList<RemovedRange> Removed, IReadOnlyList<TimeRange> Unchanged, long BytesWritten, long BytesCopied, RangeMethod Method, string? SavedTo)
{
    /// <summary>What only a transport stream has, as the recording was before the cut; set
    /// for <see cref="RecordingFormat.MpegTs"/> and <see cref="RecordingFormat.M2ts"/>, null
    /// for any other format.</summary>
    public TransportStreamDetails? TransportStream { get; init; }

    /// <summary><see cref="TransportStreamDetails.PacketSize"/>, where it was before formats had details of their own.</summary>
    /// <exception cref="InvalidOperationException">The recording is not a transport stream.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public int PacketSize => TransportStream?.PacketSize ?? throw new InvalidOperationException($"a {Format} recording has no packet size");

    /// <summary>Interrupted edits of the recording that were finished, from their journal
    /// records, before this cut began (and damaged records of the same journal, left alone).</summary>
    public IReadOnlyList<RecoveredEdit> Recovered { get; init; } = [];

    /// <summary>What the cut cost, phase by phase, and each call it made to the disk.</summary>
    public CutTimings? Timings { get; init; }

    /// <summary>Set when this is what the cut would do (<see cref="CutOptions.DryRun"/>): nothing
    /// was changed, and <see cref="BytesCopied"/> is what the plan's steps would copy.</summary>
    public bool DryRun { get; init; }

    /// <summary>The bytes of the file as it was that the cut removes as whole blocks (collapsed,
    /// or the tail truncated), in file order; what else of <see cref="Removed"/> there was is
    /// padding the format skips (MP4, MOV: bytes left in mdat that no sample references; the
    /// old moov is among these spans where the new one is written elsewhere).</summary>
    public IReadOnlyList<ByteSpan> Collapsed { get; init; } = [];

    /// <summary>The bytes the cut writes in the recording, at offsets of the file as it is after
    /// it: padding the format skips (null packets), program tables, broken-link marks (MP4,
    /// MOV: the new moov, the free box and mdat sizes, marks).</summary>
    public IReadOnlyList<ByteSpan> Written { get; init; } = [];

    /// <summary>The EDL named like the recording (<c>REC.edl</c>: the one Kodi and MPlayer apply
    /// to it) that the cut rewrote as what is left of it in the cut recording's times, whatever
    /// its ranges came from: each line less what the cut removed of it (a break keeps the
    /// edges that keyframes did not allow to go) and moved back by what went before it, and a
    /// scene marker (type 2) at each join no break holds, so no player skips programme in the
    /// cut recording. Its original bytes are kept in <see cref="CutOptions.SaveRemovedTo"/>'s
    /// manifest, and <see cref="MediaFile.Restore(string, string, RestoreOptions?, IProgress{EditProgress}?, CancellationToken)"/>
    /// writes them back; without a saved file they are not kept. Null if there was none.</summary>
    public string? EdlReplaced { get; init; }

    /// <summary>One line: what was removed and what it cost.</summary>
    public override string ToString() => FormattableString.Invariant(
        $"{(DryRun ? "dry run: would cut" : "cut")} {Removed.Count} range(s) of {Format}: {DurationBefore:0.###} s -> {DurationAfter:0.###} s, {BytesWritten} bytes written, {BytesCopied} copied, {Method.ToContractName()}");
}

/// <summary>What a cut cost (<c>movdata cut --timings</c>): each phase's time and reads of the
/// recording, and every call that changed the disk or made it durable, in order.</summary>
/// <param name="Phases">open (checks, recovery of earlier edits, locks), probe (what the
/// filesystem can do), plan (reading the recording), then the edit: journal (its record),
/// shifts (collapses, truncations, clones), writes, syncs (of the file and the record), finish
/// (the record removed).</param>
/// <param name="Calls">The edit's calls in order, each as it was made: enough to replay the
/// cut's changes in another program (bench/media-cut.sh measures that floor).</param>
public sealed record CutTimings(IReadOnlyList<CutPhase> Phases, IReadOnlyList<CutCall> Calls);

/// <summary>One phase of a cut.</summary>
/// <param name="Name">open, probe, plan, journal, shifts, writes, syncs or finish.</param>
/// <param name="Time">Wall time.</param>
/// <param name="Reads">Reads of the recording made (pread calls).</param>
/// <param name="BytesRead">Bytes those reads returned.</param>
public sealed record CutPhase(string Name, TimeSpan Time, long Reads, long BytesRead);

/// <summary>One call of a cut's edit.</summary>
/// <param name="Call">record (its text written and fsynced), record-xattr (kept as metadata,
/// durable with the next sync), collapse, insert, truncate (Length: the new size), clone,
/// write, fsync, done (Length lines recorded done, with an fdatasync), unlink (the record removed), ...</param>
/// <param name="File">Whose: recording, journal, sidecar, output.</param>
/// <param name="Offset">Where in it (a clone: where from; a done: the last step recorded).</param>
/// <param name="Length">How many bytes.</param>
/// <param name="Time">Wall time of the call.</param>
/// <param name="Target">A clone within the file: where to; otherwise -1.</param>
/// <param name="Bytes">A write: the bytes it wrote, repeated to fill Length, spelt as the
/// journal record spells them (hex, a run of one byte as <c>HH*N</c>, pieces joined by '.':
/// <c>471FFF10.FF*184</c> is a null packet); null for other calls, and for a write of more
/// than 64 KiB of bytes (an MP4's moov), which the floor replays as bytes of the same length.</param>
public sealed record CutCall(string Call, string File, long Offset, long Length, TimeSpan Time, long Target = -1, string? Bytes = null);
