namespace MovData.Media;

// The public types of this folder stay in MovData.Media, the one namespace callers use.

/// <summary>What only an MP4 or MOV file has: its brands, where its index (<c>moov</c>) lies,
/// its media data boxes and its tracks. <see cref="RecordingInfo.IsoBmff"/>.</summary>
/// <param name="MajorBrand">ftyp's major brand ("isom", "mp42", "qt  "); null without an ftyp (older QuickTime).</param>
/// <param name="CompatibleBrands">ftyp's compatible brands.</param>
/// <param name="MoovOffset">Where the moov box begins.</param>
/// <param name="MoovSize">Its size in bytes: about what a cut writes.</param>
/// <param name="MoovBeforeMedia">Whether moov comes before the media data (+faststart) rather than after it (what phones, cameras, OBS and ffmpeg by default write).</param>
/// <param name="MediaDataBoxes">How many mdat boxes there are.</param>
/// <param name="MediaDataBytes">Their bytes, headers included.</param>
/// <param name="Tracks">Every track, in moov order.</param>
/// <param name="CutTrackId">The track cuts are made on (its sync samples are <see cref="RecordingInfo.Keyframes"/>):
/// the video track, or in a file without video (an .m4a) the audio track, every frame of which is a place to cut.</param>
/// <param name="Fragments">Movie fragments (moof boxes); 0 in a file that is not fragmented.</param>
/// <param name="SplitIndex">Whether the first samples are indexed in moov and the rest in
/// fragments (ffmpeg's frag_keyframe without empty_moov): a cut takes them as the first fragment.</param>
/// <param name="CanCut">Whether its layout is one a cut handles: all but some split indexes
/// (with a segment index, an edit list, a track all in moov, or none of the video in moov).</param>
public sealed record IsoBmffDetails(string? MajorBrand, IReadOnlyList<string> CompatibleBrands, long MoovOffset, long MoovSize, bool MoovBeforeMedia,
    int MediaDataBoxes, long MediaDataBytes, IReadOnlyList<IsoBmffTrack> Tracks, int CutTrackId, int Fragments, bool SplitIndex = false, bool CanCut = true)
{
    /// <summary>Whether the samples are in movie fragments (moof) rather than in moov's tables.</summary>
    public bool Fragmented => Fragments > 0;

    /// <summary>The video track cuts are made on; null in a file without video, cut on its audio.</summary>
    public int? VideoTrackId => Tracks.FirstOrDefault(t => t.Id == CutTrackId)?.Kind == MediaStreamKind.Video ? CutTrackId : null;
}

/// <summary>One track of an MP4 or MOV file.</summary>
/// <param name="Id">Its track_ID.</param>
/// <param name="Kind">Video, audio or other (timecode, metadata, text).</param>
/// <param name="Handler">The handler type: "vide", "soun", "tmcd", "meta", "text", ...</param>
/// <param name="SampleEntry">The sample entry's type: "avc1", "hvc1", "mp4a", "sowt", "tmcd", "gpmd", ...</param>
/// <param name="Codec">The codec as ffprobe names it ("h264", "hevc", "aac", "pcm_s16le"), or the sample entry's type.</param>
/// <param name="Timescale">Ticks a second of its own clock.</param>
/// <param name="Duration">Seconds it presents (after its edit list), as ffprobe reports the stream's duration.</param>
/// <param name="Samples">Its samples (frames, audio frames, timecode entries).</param>
/// <param name="SyncSamples">Those a decoder can start at.</param>
/// <param name="EditList">Whether it has an edit list (elst).</param>
/// <param name="LargeOffsets">Whether its chunk offsets are 64-bit (co64, not stco).</param>
public sealed record IsoBmffTrack(int Id, MediaStreamKind Kind, string Handler, string SampleEntry, string Codec, long Timescale, double Duration,
    long Samples, long SyncSamples, bool EditList, bool LargeOffsets);
