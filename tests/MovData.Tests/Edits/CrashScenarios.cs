using System.Text.Json;
using MovData.Tests.Cli;
using MovData.Tests.Harness;

namespace MovData.Tests.Edits;

/// <summary>
/// One multi-step edit as the crash tests run it: the files before, the movdata command, and
/// what each file must hold after (null: must not exist). Recovery goes forward, so after a
/// crash at any step the files must be exactly as after; an edit that had not touched the
/// caller's files until its last step (a concat by cloning, <see cref="Discards"/>) is
/// discarded instead when that step had not happened, leaving them exactly as before.
/// The edit is the movdata tool's, or with <see cref="Program"/> another process's (the
/// edit host, for edits no verb makes yet).
/// </summary>
public sealed record CrashScenario(string Name, Dictionary<string, byte[]> Before, Dictionary<string, byte[]?> After, string[] Args, bool Discards = false, string? Program = null)
{
    private const int B = Files.Block;
    private const int Packet = 188;

    public override string ToString() => Name;

    public static IEnumerable<CrashScenario> All()
    {
        yield return Splice("splice aligned", 16 * B, 8 * B, 16 * B);
        yield return Splice("splice MPEG-TS packets", Packet * 50, Packet * (50 + 1024), Packet * 1024);
        yield return Splice("splice, length not a block multiple", 4 * B, 8 * B, Packet * 30);

        byte[] f = Files.Pattern(701, 24 * B);
        yield return new("collapse at a packet boundary", new() { ["f"] = f },
            new() { ["f"] = [.. f.AsSpan(0, 4 * B + Packet), .. f.AsSpan(12 * B + Packet)] },
            ["collapse", "{f}", "--offset", $"{4 * B + Packet}", "--length", "32k"]);
        yield return new("insert of a length not a block multiple", new() { ["f"] = f },
            new() { ["f"] = [.. f.AsSpan(0, 4 * B), .. new byte[5000], .. f.AsSpan(4 * B)] },
            ["insert", "{f}", "--offset", "16k", "--length", "5000"]);

        byte[] p1 = Files.Pattern(702, 16 * B), p2 = Files.Pattern(703, 16 * B), p3 = Files.Pattern(704, 10_000);
        Dictionary<string, byte[]> parts = new() { ["p1"] = p1, ["p2"] = p2, ["p3"] = p3 };
        byte[] whole = [.. p1, .. p2.AsSpan(4 * B, 8 * B), .. p3];
        yield return new("concat --move", parts,
            new() { ["p1"] = new byte[p1.Length], ["p2"] = [.. p2.AsSpan(0, 4 * B), .. new byte[8 * B], .. p2.AsSpan(12 * B)], ["p3"] = new byte[p3.Length], ["out"] = whole },
            ["concat", "{out}", "{p1}", "{p2}:16k:32k", "{p3}", "--move"]);
        yield return new("concat by cloning", parts,
            new() { ["p1"] = p1, ["p2"] = p2, ["p3"] = p3, ["out"] = whole },
            ["concat", "{out}", "{p1}", "{p2}:16k:32k", "{p3}"], Discards: true);

        byte[] d = Files.Pattern(705, 32 * B);
        yield return new("move", new() { ["d"] = d, ["r"] = new byte[32 * B] },
            new() { ["d"] = [.. d.AsSpan(0, 8 * B), .. new byte[16 * B], .. d.AsSpan(24 * B)], ["r"] = [.. new byte[4 * B], .. d.AsSpan(8 * B, 16 * B), .. new byte[12 * B]] },
            ["move", "{d}", "{r}", "--donor-offset", "32k", "--receiver-offset", "16k", "--length", "64k"]);
    }

    private static CrashScenario Splice(string name, long donorOffset, long receiverOffset, long length)
    {
        byte[] d = Files.Pattern(706, 64 * B), r = Files.Pattern(707, 64 * B);
        return new(name, new() { ["donor"] = d, ["receiver"] = r },
            new()
            {
                ["donor"] = [.. d.AsSpan(0, (int)donorOffset), .. d.AsSpan((int)(donorOffset + length))],
                ["receiver"] = [.. r.AsSpan(0, (int)receiverOffset), .. d.AsSpan((int)donorOffset, (int)length), .. r.AsSpan((int)receiverOffset)],
            },
            ["splice", "{donor}", "{receiver}", "--donor-offset", $"{donorOffset}", "--receiver-offset", $"{receiverOffset}", "--length", $"{length}"]);
    }

    /// <summary>Empties <paramref name="dir"/> and writes the files as they are before the edit,
    /// durably (files and directory), so a filesystem crash cannot take them.</summary>
    public void Setup(string dir)
    {
        foreach (string entry in Directory.GetFileSystemEntries(dir))
        {
            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }
        foreach ((string file, byte[] bytes) in Before)
        {
            // All zeros stands for a hole (a Move's receiver range must be one).
            Files.Create(Path.Combine(dir, file), bytes.Length, bytes.AsSpan().ContainsAnyExcept((byte)0) ? [(0, bytes)] : []);
        }
        Assert.Equal(0, MovData.Native.Interop.SyncDirectory(dir));
    }

    public string[] Command(string dir) => [.. Args.Select(a => Before.Keys.Concat(After.Keys).Aggregate(a, (s, f) => s.Replace($"{{{f}}}", Path.Combine(dir, f), StringComparison.Ordinal)))];

    /// <summary>Asserts the files hold exactly the after state (or the before state).</summary>
    public void Check(string dir, string when, bool before = false)
    {
        IEnumerable<(string, byte[]?)> want = before
            ? After.Select(kv => (kv.Key, Before.GetValueOrDefault(kv.Key)))
            : After.Select(kv => (kv.Key, kv.Value));
        foreach ((string file, byte[]? bytes) in want)
        {
            string path = Path.Combine(dir, file);
            if (bytes is null)
            {
                Assert.False(File.Exists(path), $"{Name}, {when}: {file} should not exist");
                continue;
            }
            Assert.True(File.Exists(path), $"{Name}, {when}: {file} is missing");
            Assert.True(bytes.AsSpan().SequenceEqual(Files.ReadAll(path)), $"{Name}, {when}: {file} is neither as before nor as after the edit (size {new FileInfo(path).Length}, want {bytes.Length})");
        }
        Assert.False(Directory.Exists(Path.Combine(dir, ".movdata-journal")), $"{Name}, {when}: the journal is not empty after recovery");
    }

    /// <summary>
    /// Runs the edit with the crash switch at every step boundary, in turn, until it no longer
    /// fires (the edit then runs to its end); after each crash, <paramref name="afterCrash"/>
    /// (a remount, say) runs, then `movdata recover`, then the check. Returns the crashes.
    /// </summary>
    public int CrashAtEveryStep(string dir, string action, IEnumerable<string> points, Action? afterCrash = null)
    {
        int crashes = 0, discarded = 0;
        foreach (string point in points)
        {
            for (int k = point == "done" ? -1 : 0; ; k++)
            {
                Setup(dir);
                string when = $"{action}:{point}:{k}";
                (int code, _, string err) = CliProcess.RunWith(Program ?? CliProcess.Tool, new Dictionary<string, string> { ["MOVDATA_TEST_CRASH"] = when }, Command(dir));
                if (code == 0)
                {
                    Check(dir, $"{when} (ran to the end)");
                    break;
                }
                Assert.True(code == 137, $"{Name}, {when}: expected SIGKILL (137), got exit {code}: {err}");
                crashes++;
                afterCrash?.Invoke();
                string journal = Path.Combine(dir, ".movdata-journal");
                if (action == "shutdown" && (!Directory.Exists(journal) || Directory.GetFiles(journal, "*.edit").Length == 0))
                {
                    // The filesystem lost the record: then it must have lost every change of
                    // the edit too (a Move on XFS or ext4 keeps its record as metadata that the
                    // receiver's first sync makes durable, so a crash before it loses both).
                    (int lost, string none, string lostErr) = CliProcess.Movdata("recover", dir, "--json");
                    Assert.True(lost == 0 && none.Trim() == "[]", $"{Name}, {when}: recover after a lost record: exit {lost}: {none}{lostErr}");
                    Check(dir, $"{when} (no record survived)", before: true);
                    continue;
                }
                Assert.NotEmpty(Directory.GetFiles(journal, "*.edit"));
                (int rc, string json, string rerr) = CliProcess.Movdata("recover", dir, "--json");
                Assert.True(rc == 0, $"{Name}, {when}: recover exit {rc}: {rerr}{json}");
                JsonElement outcome = Assert.Single(JsonDocument.Parse(json).RootElement.EnumerateArray());
                string result = outcome.GetProperty("outcome").GetString()!;
                // Forward edits always finish; a discarding one is finished only once its
                // output was published (its last step), and is otherwise as before.
                Assert.True(result == "finished" || (Discards && result == "discarded"), $"{Name}, {when}: recover says {result}");
                discarded += result == "discarded" ? 1 : 0;
                Check(dir, when, before: result == "discarded");
            }
        }
        Assert.True(!Discards || discarded > 0, $"{Name}: never discarded");
        return crashes;
    }
}
