using System.Diagnostics;
using System.Text.Json;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Edits;

/// <summary>
/// Real I/O errors at each stage of a Move and at each step of the multi-step edits: movdata
/// is stopped there (SIGSTOP by the test switch), the disk under the filesystem fills up
/// (<see cref="FaultyDisk"/>), movdata goes on into the errors, and the filesystem is then
/// stopped as by a power cut, given its room back and mounted again. Then: what the call
/// reported is what the disk holds, every byte is in the donor or the receiver (never both,
/// never neither) once `movdata recover` has run, and each file of an edit is as before or as
/// after it.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FaultTests
{
    private const int B = Files.Block;

    private static readonly string[] DiskErrors = ["EIO", "ENOSPC", "EROFS"];

    /// <summary>Filesystem, move length, where to stop (STAGE:TIME, <see cref="MoveStage"/>),
    /// whether the log is broken too (else only data writes fail), and the exit expected.</summary>
    public static TheoryData<string, long, string, bool, int> MoveFaults => new()
    {
        // ext4 copies, in chunks of 64 MiB, then 128 MiB: an 80 MiB move is two chunks.
        { "ext4", 80L << 20, "0:1", false, 1 },   // the first chunk's copy: its sync fails
        { "ext4", 80L << 20, "0:2", false, 1 },   // the second chunk's copy, the first moved
        { "ext4", 80L << 20, "2:1", true, 1 },    // punching the donor, the receiver durable
        // Syncing the donor's punches: once its journal has aborted, ext4 is read-only and
        // its fdatasync answers 0 (kernel 6.x), so movdata cannot see the fault. Its record
        // cannot be removed from the read-only filesystem either, so recovery still finishes
        // the move: nothing is lost.
        { "ext4", 80L << 20, "3:1", true, 0 },
        // XFS clones: one chunk, metadata only, so only a broken log fails it.
        { "xfs", 8L << 20, "0:1", true, 1 },
        { "xfs", 8L << 20, "1:1", true, 1 },
        { "xfs", 8L << 20, "2:1", true, 1 },
        { "xfs", 8L << 20, "3:1", true, 1 },
        // btrfs clones too; a broken log aborts its transaction.
        { "btrfs", 8L << 20, "0:1", true, 1 },
        { "btrfs", 8L << 20, "1:1", true, 1 },
        { "btrfs", 8L << 20, "2:1", true, 1 },
        { "btrfs", 8L << 20, "3:1", true, 1 },
    };

    [Theory, MemberData(nameof(MoveFaults))]
    public void Move_FailingDiskAtEachStage_ReportsWhatIsOnDisk_LosesNothing(string fs, long length, string stage, bool breakLog, int exit)
    {
        using FaultyDisk disk = FaultyDisk.Create(fs);
        string dir = Path.Combine(disk.Mount, "m");
        Directory.CreateDirectory(dir);
        string donor = Path.Combine(dir, "donor"), receiver = Path.Combine(dir, "receiver");
        byte[] data = Files.Pattern(951, length);
        Files.Create(donor, length, (0, data));
        Files.Create(receiver, length);
        Assert.Equal(0, MovData.Native.Interop.SyncDirectory(dir));

        (int code, string output, string err) = RunIntoFault(disk, $"stop:stage:{stage}", breakLog,
            "move", donor, receiver, "--donor-offset", "0", "--receiver-offset", "0", "--length", $"{length}", "--json");
        Assert.True(code == exit, $"{fs} stage {stage}: expected exit {exit}, got {code}: {err}");
        if (code == 0)
        {
            disk.Crash();
            disk.Remount();
            (int rc0, string json0, string rerr0) = CliProcess.Movdata("recover", dir, "--json");
            Assert.True(rc0 == 0, $"recover: exit {rc0}: {json0}{rerr0}");
            Assert.Equal(length, MovedPrefix(donor, receiver, data, $"{fs} stage {stage}, after recovery"));
            return;
        }
        JsonElement error = JsonDocument.Parse(output).RootElement.GetProperty("error");
        long moved = error.GetProperty("movedLength").GetInt64();
        bool pending = error.GetProperty("recoveryPending").GetBoolean();
        Assert.Contains(error.GetProperty("errno").GetString(), DiskErrors);

        disk.Crash();
        disk.Remount();
        string journal = Path.Combine(dir, ".movdata-journal");
        bool recorded = Directory.Exists(journal) && Directory.GetFiles(journal, "*.edit").Length > 0;
        if (!pending)
        {
            // Reported consistent: the disk holds exactly that, with nothing left to finish.
            Assert.False(recorded, $"{fs} stage {stage}: reported consistent, yet a record is kept");
            Assert.Equal(moved, MovedPrefix(donor, receiver, data, $"{fs} stage {stage}, before recovery"));
        }
        (int rc, string json, string rerr) = CliProcess.Movdata("recover", dir, "--json");
        Assert.True(rc == 0, $"recover: exit {rc}: {json}{rerr}");
        long after = MovedPrefix(donor, receiver, data, $"{fs} stage {stage}, after recovery");
        Assert.Equal(pending ? (recorded ? length : after) : moved, after);
        if (pending && !recorded)
        {
            // The record did not survive: then nothing of the move did (ordered log).
            Assert.Equal(0, after);
        }
    }

    /// <summary>Multi-step edits whose step K is the one the disk fails under: each file is
    /// exactly as before or as after once recovered.</summary>
    public static TheoryData<string, string> EditFaults => new()
    {
        { "xfs", "splice aligned" }, { "xfs", "collapse at a packet boundary" }, { "xfs", "insert of a length not a block multiple" }, { "xfs", "concat --move" },
        { "ext4", "splice aligned" }, { "ext4", "collapse at a packet boundary" }, { "ext4", "insert of a length not a block multiple" }, { "ext4", "concat --move" },
        // btrfs shifts by clones through a sidecar (the emulated collapse and insert).
        { "btrfs", "splice aligned" }, { "btrfs", "collapse at a packet boundary" }, { "btrfs", "insert of a length not a block multiple" }, { "btrfs", "concat --move" },
        { "xfs", "concat by cloning" },
    };

    [Theory, MemberData(nameof(EditFaults))]
    public void Edit_FailingDiskAtEachStep_RecoversToBeforeOrAfter(string fs, string scenario)
    {
        using FaultyDisk disk = FaultyDisk.Create(fs);
        CrashScenario s = CrashScenario.All().Single(c => c.Name == scenario);
        string dir = Path.Combine(disk.Mount, "e");
        Directory.CreateDirectory(dir);
        int faults = 0;
        for (int k = 0; ; k++)
        {
            s.Setup(dir);
            (int code, _, string err) = RunIntoFault(disk, $"stop:ran:{k}", breakLog: true, s.Command(dir));
            if (code == 0)
            {
                Assert.True(k > 0, $"{scenario}: never stopped");
                disk.Remount();
                s.Check(dir, $"step {k} (ran to the end)");
                break;
            }
            Assert.True(code == 1, $"{scenario} step {k}: expected the disk's failure (exit 1), got {code}: {err}");
            Assert.Contains("movdata recover", err, StringComparison.Ordinal);
            faults++;
            disk.Crash();
            disk.Remount();
            string journal = Path.Combine(dir, ".movdata-journal");
            if (!Directory.Exists(journal) || Directory.GetFiles(journal, "*.edit").Length == 0)
            {
                s.Check(dir, $"step {k}, no record survived", before: true);
                continue;
            }
            (int rc, string json, string rerr) = CliProcess.Movdata("recover", dir, "--json");
            Assert.True(rc == 0, $"{scenario} step {k}: recover exit {rc}: {json}{rerr}");
            string outcome = Assert.Single(JsonDocument.Parse(json).RootElement.EnumerateArray()).GetProperty("outcome").GetString()!;
            s.Check(dir, $"step {k}", before: outcome == "discarded");
        }
        Assert.True(faults > 0);
    }

    /// <summary>Runs movdata until the switch stops it, fills the disk (and breaks the log),
    /// lets it go on, and returns how it ended.</summary>
    private static (int Code, string Out, string Err) RunIntoFault(FaultyDisk disk, string stopAt, bool breakLog, params string[] args)
    {
        using Process p = CliProcess.Start(new Dictionary<string, string> { ["MOVDATA_TEST_CRASH"] = stopAt }, args);
        Task<string> output = p.StandardOutput.ReadToEndAsync(), err = p.StandardError.ReadToEndAsync();
        var wait = Stopwatch.StartNew();
        while (!p.HasExited && !Tools.IsStopped(p.Id))
        {
            Assert.True(wait.Elapsed < TimeSpan.FromSeconds(60), $"movdata neither stopped at {stopAt} nor ended");
            Thread.Sleep(2);
        }
        if (!p.HasExited)
        {
            disk.Fill();
            if (breakLog)
            {
                Assert.True(disk.BreakLog(), "the filesystem's log did not fail on the full disk");
            }
            Tools.MustRun("kill", "-CONT", $"{p.Id}");
        }
        p.WaitForExit();
        return (p.ExitCode, output.Result, err.Result);
    }

    /// <summary>Checks that every block of the moved range is in exactly one file, the
    /// receiver holding a prefix of it and the donor the rest (the other file a hole there);
    /// returns the prefix's length.</summary>
    private static long MovedPrefix(string donor, string receiver, byte[] data, string when)
    {
        byte[] d = Files.ReadAll(donor), r = Files.ReadAll(receiver);
        long prefix = -1;
        for (long at = 0; at < data.Length; at += B)
        {
            ReadOnlySpan<byte> want = data.AsSpan((int)at, B), inD = d.AsSpan((int)at, B), inR = r.AsSpan((int)at, B);
            bool inReceiver = inR.SequenceEqual(want) && !inD.ContainsAnyExcept((byte)0);
            bool inDonor = inD.SequenceEqual(want) && !inR.ContainsAnyExcept((byte)0);
            Assert.True(inReceiver || inDonor, $"{when}: block at {at} is in neither file alone (lost or duplicated)");
            if (inDonor && prefix < 0)
            {
                prefix = at;
            }
            Assert.True(!inReceiver || prefix < 0, $"{when}: block at {at} is in the receiver after a block left in the donor");
        }
        return prefix < 0 ? data.Length : prefix;
    }
}
