using System.Diagnostics;

namespace MovData.Edits;

/// <summary>One call of an edit that changed (or made durable) something on disk: which,
/// on which file (its role: "recording", "journal", ...), where, and how long it took; for
/// a write, the bytes it wrote, repeated to fill its length.</summary>
internal readonly record struct TracedCall(string Call, string File, long Offset, long Length, TimeSpan Time, long Target = -1, byte[]? Bytes = null);

/// <summary>
/// What an edit did to the disk, in order: its record, each step's call, each sync and each
/// record of steps done, with their times. A cut reports it (<c>movdata cut --timings</c>), and
/// the benchmark replays exactly these calls in a minimal program to measure the floor
/// beneath the cut (bench/media-cut.sh).
/// </summary>
internal sealed class EditTrace
{
    internal List<TracedCall> Calls { get; } = [];

    /// <summary>Phases before the edit (open, probe, plan), with their times.</summary>
    internal List<(string Name, TimeSpan Time)> Phases { get; } = [];

    /// <summary>Runs <paramref name="phase"/> and adds it to <see cref="Phases"/> with its time.</summary>
    internal T Phase<T>(string name, Func<T> phase)
    {
        long start = Stopwatch.GetTimestamp();
        T result = phase();
        Phases.Add((name, Stopwatch.GetElapsedTime(start)));
        return result;
    }

    /// <summary>Runs <paramref name="call"/> and adds it to the trace with its time.</summary>
    internal T Time<T>(string name, string file, long offset, long length, Func<T> call, long target = -1, byte[]? bytes = null)
    {
        long start = Stopwatch.GetTimestamp();
        T result = call();
        Calls.Add(new TracedCall(name, file, offset, length, Stopwatch.GetElapsedTime(start), target, bytes));
        return result;
    }

    internal void Time(string name, string file, long offset, long length, Action call, byte[]? bytes = null) =>
        Time(name, file, offset, length, () =>
        {
            call();
            return 0;
        }, bytes: bytes);
}
