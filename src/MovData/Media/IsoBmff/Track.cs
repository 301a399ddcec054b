namespace MovData.Media.IsoBmff;

/// <summary>One entry of a track's edit list (<c>elst</c>): a segment of the movie's
/// timeline (movie timescale) showing the media from <see cref="MediaTime"/> (track
/// timescale; -1 for an empty edit, which shows nothing).</summary>
internal readonly record struct Edit(long SegmentDuration, long MediaTime, double Rate)
{
    internal bool Empty => MediaTime == -1;
}

/// <summary>
/// One track of a movie (<c>trak</c>): what it carries, its clocks and durations, its edit
/// list, and its samples, from <c>stbl</c> or, in a fragmented file, from the fragments.
/// </summary>
internal sealed class Track
{
    internal int Id { get; init; }

    /// <summary>The hdlr handler type: "vide", "soun", "tmcd", "meta", "text", "sbtl", ...</summary>
    internal string Handler { get; init; } = "";

    /// <summary>The first sample entry's type: "avc1", "hev1", "mp4a", "sowt", "tmcd", "gpmd", ...</summary>
    internal string SampleEntry { get; init; } = "";

    /// <summary>A timecode track's sample entry (null for any other track).</summary>
    internal TimecodeEntry? Timecode { get; init; }

    /// <summary>An H.264 or HEVC track's decoder configuration (null for any other track).</summary>
    internal DecoderConfig? Decoder { get; init; }

    /// <summary>The frame number a timecode track of one sample starts at (its sample's four
    /// bytes, read when the movie is opened); null for any other track.</summary>
    internal uint? TimecodeStart { get; set; }

    /// <summary>The codec as ffprobe names it (<see cref="SampleEntries.Read"/>).</summary>
    internal string Codec { get; init; } = "";

    /// <summary>Whether each sample is a text shown over a span of time (QuickTime text, as
    /// chapters are kept; subtitles): a cut shortens one that spans a range's edge rather
    /// than drop it for where its middle lies.</summary>
    internal bool ShowsText => Handler is "text" or "sbtl" or "subt";

    internal MediaStreamKind Kind => Handler switch
    {
        "vide" => MediaStreamKind.Video,
        "soun" => MediaStreamKind.Audio,
        _ => MediaStreamKind.Other,
    };

    /// <summary>mdhd: ticks a second of the track's own clock, and the media's duration on it.</summary>
    internal long Timescale { get; init; }
    internal long MediaDuration { get; init; }

    /// <summary>tkhd: the track's duration on the movie's clock.</summary>
    internal long TrackDuration { get; init; }

    internal IReadOnlyList<Edit> Edits { get; init; } = [];

    /// <summary>The tracks this one names as its chapters (<c>tref/chap</c>: ffmpeg's and
    /// QuickTime's chapter text track).</summary>
    internal IReadOnlyList<int> ChapterTracks { get; init; } = [];

    /// <summary>The sample tables; empty in a fragmented file, whose samples are in <see cref="Fragments"/>.</summary>
    internal SampleTable Table { get; init; } = null!;

    /// <summary>What the fragments hold of this track (a fragmented file), else null.</summary>
    internal FragmentSamples? Fragments { get; set; }

    internal long Samples => Table.Count + (Fragments?.Count ?? 0);

    internal long SyncSamples => Table.SyncCount + (Fragments?.SyncCount ?? 0);

    /// <summary>The sum of the samples' durations, in the track's timescale.</summary>
    internal long SampleDuration => Table.TotalDuration + (Fragments?.Duration ?? 0);

    /// <summary>Where media time <paramref name="time"/> is shown on the movie's clock
    /// (seconds; <paramref name="movieTimescale"/> is the movie's), through the edit list's
    /// first shown segment and the empty edits before it.</summary>
    internal double ShownAt(long time, long movieTimescale)
    {
        (long mediaTime, long delay) = EditStart();
        return (double)delay / movieTimescale + (double)(time - mediaTime) / Timescale;
    }

    /// <summary>The media time shown at <paramref name="seconds"/> on the movie's clock (the
    /// inverse of <see cref="ShownAt"/>).</summary>
    internal long MediaTimeAt(double seconds, long movieTimescale)
    {
        (long mediaTime, long delay) = EditStart();
        return mediaTime + (long)Math.Round((seconds - (double)delay / movieTimescale) * Timescale);
    }

    /// <summary>Where the edit list starts showing the media (track timescale), and how long
    /// empty edits delay it (movie timescale); 0 and 0 without an edit list.</summary>
    internal (long MediaTime, long Delay) EditStart()
    {
        long delay = 0;
        foreach (Edit e in Edits)
        {
            if (!e.Empty)
            {
                return (e.MediaTime, delay);
            }
            delay += e.SegmentDuration;
        }
        return (0, delay);
    }

    /// <summary>Seconds the track presents, as ffprobe reports a stream's duration: what its
    /// edit list shows of the media (no more than the samples hold: a movie timescale of
    /// 1000 rounds the edit up), else the media's duration (from mdhd, or the sum of the samples'
    /// durations for a fragmented file, whose mdhd says 0 or counts only what moov indexes). <paramref name="mediaEnd"/> is where the last
    /// sample's presentation ends, if known (B-frames put it past the sum of durations).</summary>
    internal double Duration(long movieTimescale, long? mediaEnd = null)
    {
        if (Timescale <= 0)
        {
            return 0;
        }
        long end = mediaEnd ?? SampleDuration;
        long shown = Edits.Where(e => !e.Empty).Sum(e => e.SegmentDuration);
        if (shown > 0 && movieTimescale > 0)
        {
            long segment = (long)((Int128)shown * Timescale / movieTimescale);
            return (double)Math.Min(segment, end - EditStart().MediaTime) / Timescale;
        }
        return (double)(Fragments is not null ? SampleDuration : MediaDuration > 0 ? MediaDuration : end) / Timescale;
    }
}

/// <summary>
/// A QuickTime timecode sample entry (tmcd): its sample, four bytes, is the frame number of the
/// track's first frame (frames counted at <see cref="Timescale"/> / <see cref="FrameDuration"/>
/// a second; with drop-frame, flag 1, only their display skips numbers), unless the counter
/// flag (8) makes it a count of other units.
/// </summary>
internal readonly record struct TimecodeEntry(uint Flags, uint Timescale, uint FrameDuration, byte FramesPerSecond)
{
    internal bool Counter => (Flags & 8) != 0;

    /// <summary>The frames of <paramref name="seconds"/>, at the timecode's rate.</summary>
    internal long Frames(double seconds) => (long)Math.Round(seconds * Timescale / FrameDuration);
}
