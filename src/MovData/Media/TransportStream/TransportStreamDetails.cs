namespace MovData.Media;

// The public types of this folder stay in MovData.Media, the one namespace callers use.

/// <summary>What only an MPEG-TS or M2TS recording has: its packet grid and its program
/// tables. <see cref="RecordingInfo.TransportStream"/> and <see cref="CutResult.TransportStream"/>.</summary>
/// <param name="PacketSize">188 or 192.</param>
/// <param name="FirstPacket">Offset of the first whole packet (non-zero when the file begins mid-packet).</param>
/// <param name="Programs">Programs and their streams.</param>
/// <param name="Video">The video stream cuts are made on; null in a radio recording (no video).</param>
/// <param name="PartialLastPacket">Bytes of an incomplete last packet (an interrupted recording); a cut refuses such a file.</param>
public sealed record TransportStreamDetails(int PacketSize, long FirstPacket, IReadOnlyList<MediaProgram> Programs, MediaTrack? Video, long PartialLastPacket)
{
    /// <summary>The stream whose access units are the timeline and the places a cut is made:
    /// <see cref="Video"/>, or in a radio recording (no video) the first audio stream, cut on
    /// its PES that start with an audio frame.</summary>
    public required MediaTrack CutStream { get; init; }
}

/// <summary>One elementary stream of a program, from its PMT.</summary>
/// <param name="Pid">Its packet identifier.</param>
/// <param name="StreamType">The PMT's stream_type (0x1B H.264, 0x24 HEVC, 0x02 MPEG-2 video, 0x0F AAC, 0x81 AC-3, ...).</param>
/// <param name="Codec">The codec as ffprobe names it ("h264", "hevc", "aac", ...), or "stream type 0xNN".</param>
/// <param name="Kind">Video, audio or other.</param>
public sealed record MediaTrack(int Pid, int StreamType, string Codec, MediaStreamKind Kind);

/// <summary>One program of a transport stream.</summary>
/// <param name="Number">Its program_number.</param>
/// <param name="PmtPid">The PID of its program map table.</param>
/// <param name="Streams">Its elementary streams, in PMT order.</param>
public sealed record MediaProgram(int Number, int PmtPid, IReadOnlyList<MediaTrack> Streams);
