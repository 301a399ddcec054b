namespace MovData.Media.Codecs;

/// <summary>The audio codecs whose frame starts a radio recording's cut knows.</summary>
internal enum AudioCodecKind
{
    /// <summary>MPEG-1/2 audio (MP2, MP3): 11-bit sync 0x7FF.</summary>
    MpegAudio,

    /// <summary>AAC in ADTS: 12-bit sync 0xFFF, layer 0.</summary>
    Adts,

    /// <summary>AAC in LATM behind LOAS (AudioSyncStream): 11-bit sync 0x2B7.</summary>
    Latm,

    /// <summary>AC-3 and E-AC-3: sync word 0x0B77.</summary>
    Ac3,

    Other,
}

/// <summary>
/// What the first bytes of an audio PES say, whatever container carried them: whether the
/// PES starts with a frame. Every audio frame of these codecs decodes on its own, so such a
/// PES is a place where a radio recording (audio, no video) can be cut: it is to radio what
/// a keyframe is to video.
/// </summary>
internal static class AudioCodec
{
    /// <summary>Whether <paramref name="es"/>, a PES's first elementary-stream bytes, begins
    /// with a frame's sync word.</summary>
    internal static bool StartsFrame(AudioCodecKind codec, ReadOnlySpan<byte> es) => es.Length >= 2 && codec switch
    {
        AudioCodecKind.MpegAudio => es[0] == 0xFF && (es[1] & 0xE0) == 0xE0,
        AudioCodecKind.Adts => es[0] == 0xFF && (es[1] & 0xF6) == 0xF0,
        AudioCodecKind.Latm => es[0] == 0x56 && (es[1] & 0xE0) == 0xE0,
        AudioCodecKind.Ac3 => es[0] == 0x0B && es[1] == 0x77,
        _ => false,
    };
}
