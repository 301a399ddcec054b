using MovData.Media.IsoBmff;

namespace MovData.Tests.Media;

/// <summary>
/// The shift an MP4 cut applies to every kept sample's offset: the binary search over running
/// totals gives, for every offset at, just before and just after each range's ends, what a
/// plain sum of the ranges ending at or before it gives.
/// </summary>
public sealed class CollapsedBytesTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Before_IsTheSumOfTheRangesEndingAtOrBeforeTheOffset(int seed)
    {
        var random = new Random(seed);
        var ranges = new List<(long Offset, long Length)>();
        long at = random.Next(0, 5) * 4096L;
        for (int i = 0; i < 200; i++)
        {
            long length = random.Next(1, 64) * 4096L;
            ranges.Add((at, length));
            at += length + (random.Next(0, 3) * 4096L);
        }
        var collapsed = new CollapsedBytes(ranges);
        var offsets = ranges.SelectMany(r => new[] { r.Offset - 1, r.Offset, r.Offset + 1, r.Offset + r.Length - 1, r.Offset + r.Length, r.Offset + r.Length + 1 })
            .Concat(Enumerable.Range(0, 500).Select(_ => random.NextInt64(0, at + 8192)));
        foreach (long offset in offsets)
        {
            Assert.Equal(ranges.Where(r => r.Offset + r.Length <= offset).Sum(r => r.Length), collapsed.Before(offset));
        }
        Assert.Equal(0, new CollapsedBytes([]).Before(12345));
    }

    [Fact]
    public void Ranges_OutOfOrder_Overlapping_OrEmpty_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => new CollapsedBytes([(8192, 4096), (0, 4096)]));
        Assert.Throws<ArgumentException>(() => new CollapsedBytes([(0, 8192), (4096, 4096)]));
        Assert.Throws<ArgumentException>(() => new CollapsedBytes([(0, 0)]));
    }
}
