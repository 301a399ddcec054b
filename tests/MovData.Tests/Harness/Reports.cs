namespace MovData.Tests.Harness;

/// <summary>A progress that records every report, in order and at once (Progress&lt;T&gt;
/// posts to the thread pool, so its reports can arrive after the call returns, out of order).</summary>
public sealed class Reports<T> : IProgress<T>
{
    public List<T> All { get; } = [];

    public void Report(T value) => All.Add(value);
}
