using MovData.Media.IsoBmff;

namespace MovData.Tests.Media;

/// <summary>
/// How a fragment cut's range of bytes goes (<c>FragmentCut.Collapse</c>): its whole blocks
/// collapse and the rest is one free box, into which the moof after it then moves by a few
/// bytes when it leaves out its leading pictures (growing back into the box, or shrinking
/// and leaving it larger). The box must end gone or with its 8-byte header: where the
/// leftover of the range's edge blocks would not, a block is kept back. Before, the leftover
/// was all the box had, and a moof that could not fit there kept its leading pictures,
/// decoded from pictures the cut removed, with ffmpeg saying nothing.
/// </summary>
public sealed class FragmentRangeTests
{
    private const long Block = 4096;

    /// <summary>Every range near a block edge, every move of up to 40 bytes either way: the
    /// collapse is the most whole blocks inside the range that leave a box that is gone or holds
    /// its header; none is given only where no collapse, not even none, leaves one.</summary>
    [Fact]
    public void Collapse_LeavesAFreeBoxTheMovedMoofFits_KeepingBackNoMoreThanItMust()
    {
        int kept = 0;
        for (long a = 3 * Block - 20; a <= 3 * Block + 20; a++)
        {
            IEnumerable<long> ends = Enumerable.Range(0, 41).Select(d => a + d).Concat(Enumerable.Range(-40, 81).Select(d => 6 * Block + d));
            foreach (long b in ends)
            {
                for (int moves = -40; moves <= 40; moves++)
                {
                    long start = (a + Block - 1) / Block * Block;
                    long most = Math.Max(0, b / Block * Block - start);
                    bool Fits(long length) => (b - a - length + moves) is 0 or >= 8;
                    if (FragmentCut.Collapse(a, b, Block, moves) is not (long s, long length))
                    {
                        Assert.DoesNotContain(Enumerable.Range(0, (int)(most / Block) + 1), n => Fits(n * Block));
                        continue;
                    }
                    Assert.Equal(start, s);
                    Assert.True(length % Block == 0 && length >= 0 && length <= most, $"[{a}, {b}) by {moves}: {length} bytes collapsed");
                    Assert.True(Fits(length), $"[{a}, {b}) by {moves}: a free box of {b - a - length + moves} bytes");
                    Assert.True(length == most || !Fits(length + Block), $"[{a}, {b}) by {moves}: a block kept back that need not be");
                    kept += length < most ? 1 : 0;
                }
            }
        }
        Assert.True(kept > 0, "no case kept a block back");
    }

    /// <summary>A range whose edge blocks leave 10 bytes, before a moof that grows by 4: 6 would
    /// be left, too few for a box, so one of its two whole blocks stays (4106 bytes of box).</summary>
    [Fact]
    public void Collapse_KeepsBackABlock_WhereTheMoofWouldLeaveUnderAHeader()
    {
        Assert.Equal((4 * Block, 2 * Block), FragmentCut.Collapse(4 * Block - 10, 6 * Block, Block, 0));
        Assert.Equal((4 * Block, Block), FragmentCut.Collapse(4 * Block - 10, 6 * Block, Block, -4));
        Assert.Null(FragmentCut.Collapse(1000, 1003, Block, -4));
        Assert.Equal((Block, 0L), FragmentCut.Collapse(1000, 1003, Block, -3));
    }
}
