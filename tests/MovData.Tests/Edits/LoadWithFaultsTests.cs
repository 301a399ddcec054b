using System.Buffers.Binary;
using System.Diagnostics;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Edits;

/// <summary>
/// Several movdata processes at once running random moves, splices and `concat --move` over
/// shared files, each SIGKILLed at random moments, then `movdata recover`: every block (each
/// stamped with a unique id) is still there exactly once, nothing lost, nothing duplicated.
/// Bounded in time: MOVDATA_LOAD_SECONDS per filesystem (default 8; docs/journal.md records
/// a longer run); MOVDATA_LOAD_REPORT names a file each run appends its counts to.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LoadWithFaultsTests
{
    private const int B = Files.Block;
    private const int Workers = 3;
    private const int FileCount = 4;
    private const int BlocksPerFile = 64;

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void RandomEditsKilledAtRandom_ThenRecover_ConserveEveryBlock(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("MOVDATA_LOAD_SECONDS"), out int s) ? s : 8;
        var ids = new List<ulong>();
        for (int f = 0; f < FileCount; f++)
        {
            // Every other run of 8 blocks is data, the rest holes: room to move into.
            var data = new List<(long, byte[])>();
            for (int run = 0; run < BlocksPerFile / 8; run += 2)
            {
                byte[] bytes = new byte[8 * B];
                for (int k = 0; k < 8; k++)
                {
                    ulong id = (ulong)(f * 1000 + run * 8 + k + 1);
                    Stamp(bytes.AsSpan(k * B, B), id);
                    ids.Add(id);
                }
                data.Add((run * 8L * B, bytes));
            }
            Files.Create(dir.File($"f{f}"), BlocksPerFile * B, [.. data]);
        }

        var deadline = Stopwatch.StartNew();
        int edits = 0, killed = 0, succeeded = 0, concats = 0;
        Parallel.For(0, Workers, new ParallelOptions { MaxDegreeOfParallelism = Workers }, worker =>
        {
            var random = new Random(4242 + worker);
            while (deadline.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                string[] args = RandomEdit(dir, random, worker, ref concats);
                using Process p = CliProcess.Start(null, args);
                Task<string> o = p.StandardOutput.ReadToEndAsync(), e = p.StandardError.ReadToEndAsync();
                bool kill = random.Next(3) == 0;
                if (kill && !p.WaitForExit(random.Next(1, 40)))
                {
                    p.Kill();
                    Interlocked.Increment(ref killed);
                }
                p.WaitForExit();
                _ = o.Result + e.Result;
                Interlocked.Increment(ref edits);
                if (p.ExitCode == 0)
                {
                    Interlocked.Increment(ref succeeded);
                }
                // Only the documented exits: done, failed, refused, not supported, killed.
                Assert.Contains(p.ExitCode, new[] { 0, 1, 2, 3, 137, -1 });
            }
        });

        (int rc, string json, string err) = CliProcess.Movdata("recover", dir.Path, "--json");
        Assert.True(rc == 0, $"recover: exit {rc}: {json}{err}");
        Assert.False(Directory.Exists(Path.Combine(dir.Path, ".movdata-journal")), "records left after recovery");

        var found = new List<ulong>();
        foreach (string file in Directory.GetFiles(dir.Path))
        {
            byte[] bytes = Files.ReadAll(file);
            Assert.True(bytes.Length % B == 0, $"{file}: {bytes.Length} bytes, not whole blocks");
            for (int at = 0; at < bytes.Length; at += B)
            {
                ReadOnlySpan<byte> block = bytes.AsSpan(at, B);
                if (!block.ContainsAnyExcept((byte)0))
                {
                    continue;
                }
                ulong id = BinaryPrimitives.ReadUInt64LittleEndian(block);
                byte[] want = new byte[B];
                Stamp(want, id);
                Assert.True(block.SequenceEqual(want), $"{Path.GetFileName(file)} block {at / B}: torn or foreign data");
                found.Add(id);
            }
        }
        Assert.True(succeeded > 0 && killed > 0, $"{edits} edits, {succeeded} succeeded, {killed} killed: the load did not exercise both");
        Assert.Equal(ids.Order(), found.Order());
        string summary = $"{fs}: {edits} edits in {seconds} s, {succeeded} succeeded, {killed} killed, {found.Count} blocks conserved";
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        if (Environment.GetEnvironmentVariable("MOVDATA_LOAD_REPORT") is { Length: > 0 } report)
        {
            File.AppendAllText(report, summary + "\n");
        }
    }

    /// <summary>A move, a splice or a concat --move between random files, whole blocks.</summary>
    private static string[] RandomEdit(ScratchDir dir, Random random, int worker, ref int concats)
    {
        string a = dir.File($"f{random.Next(FileCount)}"), b = dir.File($"f{random.Next(FileCount)}");
        long Blocks(string f) => File.Exists(f) ? new FileInfo(f).Length / B : 0;
        long length = random.Next(1, 9);
        long aBlocks = Math.Max(Blocks(a), length), bBlocks = Blocks(b);
        long from = random.NextInt64(0, Math.Max(1, aBlocks - length + 1));
        switch (random.Next(3))
        {
            case 0:
                return ["move", a, b, "--donor-offset", $"{from * B}", "--receiver-offset", $"{random.NextInt64(0, Math.Max(1, bBlocks - length + 1)) * B}", "--length", $"{length * B}"];
            case 1:
                return ["splice", a, b, "--donor-offset", $"{from * B}", "--receiver-offset", $"{random.NextInt64(0, bBlocks + 1) * B}", "--length", $"{length * B}"];
            default:
                int n = Interlocked.Increment(ref concats);
                return ["concat", dir.File($"c{worker}-{n}"), $"{a}:{from * B}:{length * B}", "--move"];
        }
    }

    /// <summary>A block that says who it is: its id, then bytes derived from it.</summary>
    private static void Stamp(Span<byte> block, ulong id)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(block, id);
        for (int i = 8; i < block.Length; i++)
        {
            block[i] = (byte)((id * 31 + (ulong)i) % 251 + 1);
        }
    }
}
