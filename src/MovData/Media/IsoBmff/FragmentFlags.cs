using System.Numerics;

namespace MovData.Media.IsoBmff;

/// <summary>
/// The flags of a track fragment's header (<c>tfhd</c>) and of its track runs (<c>trun</c>):
/// which optional fields each has (ISO/IEC 14496-12 §8.8.7, §8.8.8). One place for the
/// numbers the fragment reader and the fragment rewriters share.
/// </summary>
internal static class FragmentFlags
{
    /// <summary><c>tfhd</c>: a 64-bit base_data_offset follows the track_ID.</summary>
    internal const uint BaseDataOffset = 0x1;
    /// <summary><c>tfhd</c>: a sample_description_index follows.</summary>
    internal const uint DescriptionIndex = 0x2;
    /// <summary><c>tfhd</c>: a default_sample_duration follows.</summary>
    internal const uint DefaultDuration = 0x8;
    /// <summary><c>tfhd</c>: a default_sample_size follows.</summary>
    internal const uint DefaultSize = 0x10;
    /// <summary><c>tfhd</c>: default_sample_flags follow.</summary>
    internal const uint DefaultFlags = 0x20;
    /// <summary><c>tfhd</c>: default-base-is-moof: without a base_data_offset, data offsets count from the moof's start.</summary>
    internal const uint BaseIsMoof = 0x20000;

    /// <summary><c>trun</c>: a data_offset follows the sample_count.</summary>
    internal const uint RunDataOffset = 0x1;
    /// <summary><c>trun</c>: first_sample_flags follow.</summary>
    internal const uint RunFirstFlags = 0x4;
    /// <summary><c>trun</c>: each entry has a sample_duration.</summary>
    internal const uint RunDurations = 0x100;
    /// <summary><c>trun</c>: each entry has a sample_size.</summary>
    internal const uint RunSizes = 0x200;
    /// <summary><c>trun</c>: each entry has sample_flags.</summary>
    internal const uint RunFlags = 0x400;
    /// <summary><c>trun</c>: each entry has a sample_composition_time_offset.</summary>
    internal const uint RunOffsets = 0x800;

    /// <summary>A sample's flags: sample_is_non_sync_sample.</summary>
    internal const uint SampleIsNonSync = 0x10000;

    /// <summary>The bytes of each sample's entry in a <c>trun</c> with flags <paramref name="run"/>.</summary>
    internal static int EntrySize(uint run) => 4 * BitOperations.PopCount(run & (RunDurations | RunSizes | RunFlags | RunOffsets));
}
