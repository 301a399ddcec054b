namespace MovData.Media.IsoBmff;

/// <summary>
/// What a cut keeps of one track: which samples (decode order), their new decode times and
/// durations, and how its edit list and durations change.
/// </summary>
internal sealed class TrackCut
{
    internal required Track Track { get; init; }
    internal required SampleList Samples { get; init; }
    internal required bool[] Keep { get; init; }

    /// <summary>New decode durations of the kept samples, in decode order.</summary>
    internal required uint[] Durations { get; init; }

    /// <summary>The edit list's new media time for its first shown edit (a cut of the head
    /// moves it), and how many movie ticks the shown part loses.</summary>
    internal required long MediaTime { get; init; }
    internal required long ShownLost { get; init; }

    /// <summary>Where set, the movie ticks shown before the first sample, in place of the
    /// edit list's leading empty edits (one empty edit of this, none for 0): after a cut of
    /// the head, what is left of a track's delay (<see cref="MovieCut"/>); in a saved movie,
    /// none, or where its texts start (<see cref="SavedMovie"/>).</summary>
    internal long? EmptyEdit { get; init; }

    /// <summary>The edit list this cut writes: the track's, the empty edits before its first
    /// shown one replaced by <see cref="EmptyEdit"/> where that is set.</summary>
    internal IEnumerable<Edit> Edits => EmptyEdit is not { } empty || Track.Edits.All(e => e.Empty) ? Track.Edits
        : Track.Edits.SkipWhile(e => e.Empty).Prepend(new Edit(empty, -1, 1)).Where((e, i) => i > 0 || e.SegmentDuration > 0);

    /// <summary>Frames a timecode track's one sample moves on by (a cut of the head): its
    /// number is rewritten, so that players reading the sample (ffmpeg) and those applying
    /// the edit list (QuickTime) show the same timecode at the first kept frame.</summary>
    internal long TimecodeFrames { get; init; }

    /// <summary>Kept samples decoded earlier than the time removed before them says, by how
    /// many ticks, their presentation unchanged (a few before a join that needs it: CutTrack).</summary>
    internal IReadOnlyDictionary<int, long> DecodedEarlier { get; init; } = new Dictionary<int, long>();

    /// <summary>The kept samples' indexes, in decode order: listed once, since the moov's
    /// rewrite walks them for every table.</summary>
    internal int[] Kept
    {
        get => _kept ??= IndexesOf(Keep);
        init => _kept = value;
    }

    private int[]? _kept;

    /// <summary>The sum of the new decode durations: the track's media duration after the cut.</summary>
    internal long MediaDuration
    {
        get
        {
            long sum = 0;
            foreach (uint d in Durations)
            {
                sum += d;
            }
            return sum;
        }
    }

    /// <summary>The indexes whose flag is <paramref name="set"/>, in an array of their exact count.</summary>
    internal static int[] IndexesOf(bool[] keep, bool set = true)
    {
        int count = 0;
        foreach (bool k in keep)
        {
            count += k == set ? 1 : 0;
        }
        var indexes = new int[count];
        int at = 0;
        for (int i = 0; i < keep.Length; i++)
        {
            if (keep[i] == set)
            {
                indexes[at++] = i;
            }
        }
        return indexes;
    }
}
