namespace MovData.Media;

/// <summary>
/// A time on a format's own clock: <see cref="Ticks"/> of 1/<see cref="Timescale"/> second
/// (MPEG-TS: 90 kHz for every stream; MP4: each track its own), counted from the recording's
/// time 0, the first video frame's presentation. Two times compare exactly whatever their
/// clocks; equality is the same ticks on the same clock.
/// </summary>
internal readonly record struct MediaTime(long Ticks, long Timescale) : IComparable<MediaTime>
{
    internal double Seconds => (double)Ticks / Timescale;

    /// <summary>
    /// <paramref name="seconds"/> on a clock of <paramref name="timescale"/> ticks a second,
    /// to the nearest tick; a time the clock cannot count (a range "to the end" is infinite)
    /// stays far past any recording's end.
    /// </summary>
    internal static MediaTime FromSeconds(double seconds, long timescale) =>
        new(seconds >= long.MaxValue / 2 / timescale ? long.MaxValue / 2 : (long)Math.Round(seconds * timescale), timescale);

    /// <summary>The same time on a clock of <paramref name="timescale"/> ticks a second (to
    /// the nearest tick; past what that clock counts, far past any end).</summary>
    internal MediaTime In(long timescale)
    {
        if (timescale == Timescale)
        {
            return this;
        }
        Int128 scaled = ((Int128)Ticks * timescale * 2 + Timescale) / (2 * (Int128)Timescale);
        return new((long)Int128.Clamp(scaled, long.MinValue / 2, long.MaxValue / 2), timescale);
    }

    public int CompareTo(MediaTime other) => ((Int128)Ticks * other.Timescale).CompareTo((Int128)other.Ticks * Timescale);

    public static bool operator <(MediaTime a, MediaTime b) => a.CompareTo(b) < 0;

    public static bool operator >(MediaTime a, MediaTime b) => a.CompareTo(b) > 0;

    public static bool operator <=(MediaTime a, MediaTime b) => a.CompareTo(b) <= 0;

    public static bool operator >=(MediaTime a, MediaTime b) => a.CompareTo(b) >= 0;

    internal static MediaTime Max(MediaTime a, MediaTime b) => a >= b ? a : b;
}
