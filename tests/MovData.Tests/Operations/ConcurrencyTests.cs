using Microsoft.Win32.SafeHandles;
using MovData.Tests.Harness;
using System.Buffers.Binary;

namespace MovData.Tests.Operations;

/// <summary>
/// Many Moves at once between a few files, each worker with its own handles (open file
/// descriptions, which is what two processes have): no block may be lost or duplicated.
/// Without the range locks two Moves into one hole both pass rule 2 and one block is lost.
/// </summary>
public sealed class ConcurrencyTests
{
    private const int B = Files.Block;
    private const int FileCount = 8, Blocks = 64, Workers = 6, MovesPerWorker = 150;

    private static void Stamp(Span<byte> block, int file, int index)
    {
        block.Fill((byte)(1 + (file * Blocks) + index));
        BinaryPrimitives.WriteInt32LittleEndian(block, file);
        BinaryPrimitives.WriteInt32LittleEndian(block[4..], index);
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void ConcurrentMoves_LoseAndDuplicateNothing(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string[] paths = [.. Enumerable.Range(0, FileCount).Select(i => dir.File($"f{i}"))];
        for (int f = 0; f < FileCount; f++)
        {
            // The first half of each file holds stamped blocks, the second half is a hole.
            byte[] data = new byte[Blocks / 2 * B];
            for (int b = 0; b < Blocks / 2; b++)
            {
                Stamp(data.AsSpan(b * B, B), f, b);
            }
            Files.Create(paths[f], Blocks * B, (0, data));
        }

        int moved = 0, refused = 0;
        Parallel.For(0, Workers, new ParallelOptions { MaxDegreeOfParallelism = Workers }, worker =>
        {
            var rng = new Random(worker);
            SafeFileHandle[] handles = [.. paths.Select(Files.OpenRw)];
            try
            {
                for (int i = 0; i < MovesPerWorker; i++)
                {
                    int length = 1 + rng.Next(4);
                    int d = rng.Next(FileCount), r = rng.Next(FileCount);
                    long from = rng.Next(Blocks - length + 1) * (long)B, to = rng.Next(Blocks - length + 1) * (long)B;
                    try
                    {
                        FileRange.Move(handles[d], from, handles[r], to, length * (long)B);
                        Interlocked.Increment(ref moved);
                    }
                    catch (ContractViolationException)
                    {
                        Interlocked.Increment(ref refused); // the receiver range held data, or the ranges overlapped
                    }
                }
            }
            finally
            {
                foreach (SafeFileHandle h in handles)
                {
                    h.Dispose();
                }
            }
        });

        // Every stamped block exists exactly once, whole; every other block reads as zeros.
        var seen = new HashSet<(int, int)>();
        byte[] expected = new byte[B];
        for (int f = 0; f < FileCount; f++)
        {
            byte[] bytes = Files.ReadAll(paths[f]);
            Assert.Equal(Blocks * B, bytes.Length);
            for (int b = 0; b < Blocks; b++)
            {
                Span<byte> block = bytes.AsSpan(b * B, B);
                if (!block.ContainsAnyExcept((byte)0))
                {
                    continue;
                }
                int file = BinaryPrimitives.ReadInt32LittleEndian(block), index = BinaryPrimitives.ReadInt32LittleEndian(block[4..]);
                Assert.InRange(file, 0, FileCount - 1);
                Assert.InRange(index, 0, (Blocks / 2) - 1);
                Stamp(expected, file, index);
                Assert.True(block.SequenceEqual(expected), $"f{f} block {b} is a torn copy of block {index} of f{file}");
                Assert.True(seen.Add((file, index)), $"block {index} of f{file} exists twice");
            }
        }
        Assert.Equal(FileCount * Blocks / 2, seen.Count);
        Assert.True(moved >= 20, $"only {moved} moves succeeded ({refused} refused): the test did not exercise concurrency");
        TestContext.Current.SendDiagnosticMessage($"{fs}: {moved} moves, {refused} refused, no block lost or duplicated");
    }

    /// <summary>
    /// Two movdata processes at once, moving different donors into the same hole, twenty
    /// times: each time exactly one may win, the other must be refused under rule 2 (exit 2),
    /// and both donors' bytes must still exist somewhere.
    /// </summary>
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public async Task TwoProcesses_IntoOneHole_OneWinsNothingLost(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        for (int round = 0; round < 20; round++)
        {
            string a = dir.File($"a{round}"), b = dir.File($"b{round}"), r = dir.File($"r{round}");
            byte[] ca = Files.Pattern(100 + round, 8 * B), cb = Files.Pattern(200 + round, 8 * B);
            Files.Create(a, 8 * B, (0, ca));
            Files.Create(b, 8 * B, (0, cb));
            Files.Create(r, 8 * B);
            string[] Args(string donor) => ["move", donor, r, "--donor-offset", "0", "--receiver-offset", "0", "--length", "32k"];
            Task<(int Code, string Out, string Err)> first = Task.Run(() => Cli.CliProcess.Movdata(Args(a)));
            Task<(int Code, string Out, string Err)> second = Task.Run(() => Cli.CliProcess.Movdata(Args(b)));
            (int Code, string Out, string Err)[] results = await Task.WhenAll(first, second);
            int[] codes = [results[0].Code, results[1].Code];
            Assert.True(codes.Order().SequenceEqual([0, 2]), $"round {round}: exit codes {codes[0]} and {codes[1]}: {results[0].Err}{results[1].Err}");
            (string winner, byte[] won, string loser, byte[] kept) = codes[0] == 0 ? (a, ca, b, cb) : (b, cb, a, ca);
            Files.AssertBytes(won, r, 0);
            Files.AssertHole(winner, 0, 8 * B);
            Files.AssertBytes(kept, loser, 0);
        }
    }
}
