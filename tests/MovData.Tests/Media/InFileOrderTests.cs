using MovData.Media.IsoBmff;

namespace MovData.Tests.Media;

/// <summary>
/// The byte ranges an MP4 cut finds its gaps between (<c>MovieCut.InFileOrder</c>): the
/// tracks' samples merged by offset, samples that meet made one range. Checked against a
/// plain sort of every sample, on interleaved tracks as writers lay them out and on a track
/// whose samples are not in file order (which is sorted, not merged as it comes).
/// </summary>
public sealed class InFileOrderTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    public void Ranges_AreEverySampleSortedByOffset_ThoseThatMeetJoined(int seed, bool shuffledTrack)
    {
        var random = new Random(seed);
        // Three tracks interleaved in one mdat: each piece of it goes to a random track,
        // sometimes with a few unreferenced bytes before it.
        var pieces = new List<(int Track, long Offset, uint Size)>();
        long at = 48;
        for (int i = 0; i < 3000; i++)
        {
            at += random.Next(0, 4) == 0 ? random.Next(1, 100) : 0;
            uint size = (uint)random.Next(1, 5000);
            pieces.Add((random.Next(0, 3), at, size));
            at += size;
        }
        var tracks = new List<(SampleList Samples, bool[] Keep)>();
        for (int t = 0; t < 3; t++)
        {
            var samples = pieces.Where(p => p.Track == t).ToList();
            if (shuffledTrack && t == 1)
            {
                samples = [.. samples.OrderBy(_ => random.Next())];
            }
            var list = new SampleList(samples.Count);
            foreach ((_, long offset, uint size) in samples)
            {
                list.Add(offset, size, 0, 0, 1, sync: true);
            }
            // Runs of kept and removed samples, as cuts leave them.
            var keep = new bool[samples.Count];
            bool state = true;
            for (int i = 0; i < keep.Length; i++)
            {
                state = random.Next(0, 40) == 0 ? !state : state;
                keep[i] = state;
            }
            tracks.Add((list, keep));
        }

        foreach (bool keep in new[] { true, false })
        {
            var expected = new List<(long Offset, long End)>();
            foreach ((long offset, long end) in tracks
                .SelectMany(t => Enumerable.Range(0, t.Keep.Length).Where(i => t.Keep[i] == keep).Select(i => (t.Samples.Offset(i), t.Samples.Offset(i) + t.Samples.Size(i))))
                .OrderBy(r => r.Item1))
            {
                if (expected.Count > 0 && expected[^1].End == offset)
                {
                    expected[^1] = (expected[^1].Offset, end);
                }
                else
                {
                    expected.Add((offset, end));
                }
            }

            List<(long Offset, long End)> found = MovieCut.InFileOrder([.. tracks.Select(t => (t.Samples, TrackCut.IndexesOf(t.Keep, keep)))]);

            Assert.Equal(expected, found);
            // Joined where pieces meet: fewer ranges than samples, none touching the next.
            Assert.True(found.Count < tracks.Sum(t => t.Keep.Count(k => k == keep)));
            Assert.All(found.Zip(found.Skip(1)), p => Assert.True(p.First.End < p.Second.Offset));
        }
    }
}
