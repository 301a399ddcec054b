namespace MovData.Media.IsoBmff;

/// <summary>
/// What a sample entry (the first of <c>stsd</c>) says of the codec, named as ffprobe names
/// it ("h264", "hevc", "aac", "pcm_s16le"); an entry this does not know keeps its four
/// characters ("tmcd", "gpmd").
/// </summary>
internal static class SampleEntries
{
    /// <summary>The first sample entry of <paramref name="stsd"/>: its type and codec name.</summary>
    internal static (string Entry, string Codec) Read(ReadOnlySpan<byte> moov, Box stsd, string path)
    {
        // stsd is a full box (4 bytes) with an entry count (4 bytes) before its entries.
        List<Box> entries = Boxes.Children(moov, stsd, path, skip: 8);
        if (entries.Count == 0)
        {
            return ("", "none");
        }
        Box entry = entries[0];
        string type = entry.Name;
        return (type, type switch
        {
            "avc1" or "avc3" => "h264",
            "hvc1" or "hev1" or "dvh1" or "dvhe" => "hevc",
            "av01" => "av1",
            "vp09" => "vp9",
            "mp4v" => ObjectType(moov, entry, $"{path}/{type}", audio: false) ?? "mpeg4",
            "apch" or "apcn" or "apcs" or "apco" or "ap4h" or "ap4x" => "prores",
            "jpeg" or "mjpa" or "mjpb" => "mjpeg",
            "mp4a" => ObjectType(moov, entry, $"{path}/{type}", audio: true) ?? "aac",
            "ac-3" => "ac3",
            "ec-3" => "eac3",
            "Opus" => "opus",
            "fLaC" => "flac",
            "alac" => "alac",
            ".mp3" => "mp3",
            "sowt" => "pcm_s16le",
            "twos" => "pcm_s16be",
            "in24" => "pcm_s24be",
            "in32" => "pcm_s32be",
            "fl32" => "pcm_f32be",
            "fl64" => "pcm_f64be",
            "raw " => "pcm_u8",
            "lpcm" or "ipcm" or "fpcm" => "pcm",
            "tx3g" => "mov_text",
            "wvtt" => "webvtt",
            "c608" => "eia_608",
            _ => type,
        });
    }

    /// <summary>The timecode sample entry (tmcd) first in <paramref name="stsd"/>, or null if
    /// the first entry is another (or too short to be one). Its fields, after the sample
    /// entry's reserved bytes and data reference index: reserved (4), flags, timescale,
    /// frame duration (4 each), frames a second (1), as QuickTime's file format lays them out.</summary>
    internal static TimecodeEntry? Timecode(ReadOnlySpan<byte> moov, Box stsd, string path)
    {
        List<Box> entries = Boxes.Children(moov, stsd, path, skip: 8);
        if (entries is not [{ Name: "tmcd" } entry, ..] || entry.PayloadSize < 26)
        {
            return null;
        }
        var r = new FieldReader(moov, entry, $"{path}/tmcd");
        r.Skip(12);
        uint flags = r.U32(), timescale = r.U32(), frameDuration = r.U32();
        byte frames = r.U8();
        return timescale > 0 && frameDuration > 0 ? new TimecodeEntry(flags, timescale, frameDuration, frames) : null;
    }

    /// <summary>
    /// The decoder configuration of an H.264 (avc1, avc3: avcC) or HEVC (hvc1, hev1, and Dolby
    /// Vision's dvh1, dvhe: hvcC) sample entry first in <paramref name="stsd"/>: how many bytes give each NAL unit's
    /// length in a sample, and its parameter sets, each behind a 00 00 00 01 start code, as the
    /// codec readers take an elementary stream; null for another entry or one without it.
    /// avcC's fields (ISO/IEC 14496-15 §5.3.3): version, profile, compatibility, level (a byte
    /// each), lengthSizeMinusOne (the low 2 bits of a byte), the count of sequence parameter
    /// sets (the low 5 bits of one), each a 16-bit length and its bytes, then the count of
    /// picture parameter sets (a byte) and those. hvcC's (§8.3.3): 21 bytes of profile and
    /// format, lengthSizeMinusOne in the low 2 bits of the 22nd, the count of arrays (a byte),
    /// each a byte of NAL unit type, a 16-bit count of units and those, each as avcC's.
    /// </summary>
    internal static DecoderConfig? Decoder(ReadOnlySpan<byte> moov, Box stsd, string path)
    {
        List<Box> entries = Boxes.Children(moov, stsd, path, skip: 8);
        if (entries is not [{ Name: "avc1" or "avc3" or "hvc1" or "hev1" or "dvh1" or "dvhe" } entry, ..] || entry.PayloadSize < VisualFields)
        {
            return null;
        }
        bool hevc = entry.Name[0] != 'a';
        string entryPath = $"{path}/{entry.Name}";
        List<Box> boxes;
        try
        {
            boxes = Boxes.Children(moov, entry, entryPath, VisualFields);
        }
        catch (InvalidDataException)
        {
            return null; // a box after the configuration that does not fit: players read past it, and so does all else here
        }
        if (boxes.FirstOrDefault(b => b.Name == (hevc ? "hvcC" : "avcC")) is not { Size: > 0 } config)
        {
            return null;
        }
        var r = new FieldReader(moov, config, $"{entryPath}/{config.Name}");
        if (r.Remaining < (hevc ? 23 : 6))
        {
            return null;
        }
        r.Skip(hevc ? 21 : 4);
        int lengthSize = (r.U8() & 3) + 1;
        var sets = new List<byte>();
        // avcC: two lists, the first's count in 5 bits; hvcC: a list of arrays, each counted in 16 bits.
        int lists = hevc ? r.U8() : 2;
        for (int list = 0; list < lists; list++)
        {
            int count;
            if (hevc)
            {
                if (r.Remaining < 3)
                {
                    return null;
                }
                r.Skip(1);
                count = r.U16();
            }
            else
            {
                count = r.Remaining > 0 ? r.U8() & (list == 0 ? 0x1F : 0xFF) : 0;
            }
            for (int i = 0; i < count; i++)
            {
                if (r.Remaining < 2 || r.U16() is var length && length > r.Remaining)
                {
                    return null;
                }
                sets.AddRange((ReadOnlySpan<byte>)[0, 0, 0, 1]);
                sets.AddRange(r.Take(length));
            }
        }
        return new DecoderConfig(lengthSize, [.. sets]);
    }

    /// <summary>The fields of a visual sample entry before its boxes.</summary>
    private const int VisualFields = 78;

    /// <summary>The codec an MPEG-4 entry's esds names by its objectTypeIndication (ISO/IEC
    /// 14496-1 §7.2.6.6); null if there is no esds to say.</summary>
    private static string? ObjectType(ReadOnlySpan<byte> moov, Box entry, string path, bool audio)
    {
        // A visual sample entry has 78 bytes of fields before its boxes; an audio one 28,
        // and QuickTime's versions 1 and 2 of it 16 and 36 more (the version is its 9th byte pair).
        int skip = VisualFields;
        if (audio)
        {
            int version = new FieldReader(moov, entry, path).Take(10)[8..10] is [byte hi, byte lo] ? hi << 8 | lo : 0;
            skip = 28 + version switch { 1 => 16, 2 => 36, _ => 0 };
        }
        if (entry.PayloadSize < skip)
        {
            return null;
        }
        Box? esds = Find(moov, Boxes.Children(moov, entry, path, skip), path);
        if (esds is not { } box)
        {
            return null;
        }
        var r = new FieldReader(moov, box, $"{path}/esds");
        r.FullBox();
        // ES_Descriptor (tag 3), then within it the DecoderConfigDescriptor (tag 4) whose first byte is the object type.
        if (r.Remaining < 2 || r.U8() != 3)
        {
            return null;
        }
        DescriptorLength(ref r);
        r.Skip(2); // ES_ID
        byte flags = r.U8();
        if ((flags & 0x80) != 0)
        {
            r.Skip(2);
        }
        if ((flags & 0x40) != 0)
        {
            r.Skip(r.U8());
        }
        if ((flags & 0x20) != 0)
        {
            r.Skip(2);
        }
        if (r.U8() != 4)
        {
            return null;
        }
        DescriptorLength(ref r);
        return r.U8() switch
        {
            0x40 or 0x66 or 0x67 or 0x68 => "aac",
            0x69 or 0x6B => "mp3",
            0xA5 => "ac3",
            0xA6 => "eac3",
            0xA9 => "dts",
            0xAD => "opus",
            0xDD => "vorbis",
            0x20 => "mpeg4",
            0x21 => "h264",
            >= 0x60 and <= 0x65 => "mpeg2video",
            0x6A => "mpeg1video",
            0x6C => "mjpeg",
            _ => null,
        };
    }

    /// <summary>esds among <paramref name="boxes"/>, or inside QuickTime's wave box.</summary>
    private static Box? Find(ReadOnlySpan<byte> moov, List<Box> boxes, string path)
    {
        foreach (Box b in boxes)
        {
            if (b.Name == "esds")
            {
                return b;
            }
            if (b.Name == "wave" && Find(moov, Boxes.Children(moov, b, $"{path}/wave"), path) is { } inner)
            {
                return inner;
            }
        }
        return null;
    }

    /// <summary>Skips a descriptor's length: 7 bits a byte, the high bit saying more follow.</summary>
    private static void DescriptorLength(ref FieldReader r)
    {
        for (int i = 0; i < 4 && (r.U8() & 0x80) != 0; i++)
        {
        }
    }
}

/// <summary>An H.264 or HEVC track's decoder configuration (<see cref="SampleEntries.Decoder"/>):
/// the bytes of each NAL unit's length in a sample, and the parameter sets as an elementary stream.</summary>
internal sealed record DecoderConfig(int LengthSize, byte[] ParameterSets);
