using Microsoft.Win32.SafeHandles;
using MovData.Operations;

namespace MovData.Edits;

/// <summary>
/// Finishing interrupted edits from their journal records: all of a directory's
/// (<see cref="Recover"/>, `movdata recover`), or those of the files a new edit is about to
/// change (<see cref="ForFiles(SafeFileHandle[])"/>). A record that cannot be read is never
/// acted on and never removed: it is reported with why, edits of the files it names are
/// refused, and edits of other files go on.
/// </summary>
internal static class Recovery
{
    /// <summary>Finishes every interrupted edit in the journal next to <paramref name="path"/>
    /// (a directory, or a file: then only the edits of that file).</summary>
    internal static IReadOnlyList<RecoveredEdit> Recover(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        FileIdentity? only = null;
        string dir = full;
        if (!Directory.Exists(full))
        {
            (ulong inode, long birth) = FileFacts.IdentityOf(full, path);
            only = new FileIdentity(inode, birth);
            dir = Path.GetDirectoryName(full) ?? "/";
        }
        var outcomes = new List<RecoveredEdit>();
        JournalRecord.RemoveAbandonedDrafts(JournalRecord.DirectoryFor(dir));
        foreach (string record in Records(JournalRecord.DirectoryFor(dir)))
        {
            RecoveredEdit? outcome = RecoverOne(record, wait: false, only is { } o ? [o] : null);
            if (outcome is not null)
            {
                outcomes.Add(outcome);
            }
        }
        try
        {
            // A crash can leave the directory behind without a record in it (its name was
            // durable, the record's was not).
            Directory.Delete(JournalRecord.DirectoryFor(dir));
        }
        catch (IOException)
        {
            // Not there, or records are kept in it.
        }
        return outcomes;
    }

    /// <summary>Finishes the interrupted edits of these files before a new edit of them
    /// starts; waits for one that is running now. Returns what it finished, and the damaged
    /// records of the same journals that name none of these files (left alone).</summary>
    /// <exception cref="EditIncompleteException">One could not be finished, or a record that
    /// names one of these files cannot be read; nothing changed.</exception>
    internal static IReadOnlyList<RecoveredEdit> ForFiles(params SafeFileHandle[] files) =>
        ForFiles(files.Select(h => (h, Capabilities.PathOf(h))));

    internal static IReadOnlyList<RecoveredEdit> ForFiles(IEnumerable<(SafeFileHandle Handle, string? Path)> files)
    {
        List<FileIdentity> ids = [];
        List<string> journals = [];
        foreach ((SafeFileHandle h, string? path) in files)
        {
            if (h is null || h.IsInvalid || h.IsClosed || FileFacts.IdentityOf(h) is not { } id)
            {
                continue; // the edit's own validation reports it
            }
            ids.Add(new FileIdentity(id.Inode, id.Birth));
            journals.AddRange(JournalsOf(path));
        }
        List<RecoveredEdit> outcomes = [];
        foreach (string record in journals.Distinct().SelectMany(Records))
        {
            RecoveredEdit? outcome = RecoverOne(record, wait: true, ids);
            if (outcome is { Outcome: RecoveryOutcome.Failed, Edit: DamagedEdit })
            {
                outcomes.Add(outcome); // names none of these files: reported, and the edit goes on
            }
            else if (outcome is { Outcome: RecoveryOutcome.Failed })
            {
                throw new EditIncompleteException(
                    $"an interrupted {outcome.Edit} of these files could not be finished, so this edit did not start: {outcome.Detail}; see `movdata recover {Path.GetDirectoryName(Path.GetDirectoryName(record))}`");
            }
            else if (outcome is { Outcome: RecoveryOutcome.Finished })
            {
                outcomes.Add(outcome);
            }
        }
        // The common case shares one empty list, so results of edits that finished nothing
        // first compare equal.
        return outcomes.Count == 0 ? Array.Empty<RecoveredEdit>() : outcomes;
    }

    /// <summary>"an interrupted cut (recording /r/a.ts, output /r/ads.ts)", "and" between two.</summary>
    internal static string Said(IEnumerable<RecoveredEdit> finished) =>
        string.Join(" and ", finished.Select(r => $"an interrupted {r.Edit} ({r.Detail})"));

    /// <summary>Finishes the interrupted edits of a recording, as a cut does before it starts,
    /// refusing first (as a cut does) a recording another process is writing. With none in its
    /// journal (the common case) it costs a stat and finds no writers.</summary>
    /// <exception cref="IOException">Another process has it open for writing; nothing changed.</exception>
    /// <exception cref="EditIncompleteException">One could not be finished; nothing changed.</exception>
    internal static IReadOnlyList<RecoveredEdit> ForRecording(SafeFileHandle file, string verb)
    {
        if (!Pending(file).Any())
        {
            return [];
        }
        OpenWriters.Refuse(FileFacts.Of(file, "recording"), verb);
        return ForFiles(file);
    }

    /// <summary>For an edit that must change nothing (a dry run): where a journal record names
    /// <paramref name="file"/> (as <see cref="ForFiles(SafeFileHandle[])"/> would find it), throws instead of finishing it, since what
    /// the edit would do depends on it. Returns no recovered edits.</summary>
    /// <exception cref="EditIncompleteException">A record names the file; nothing changed.</exception>
    internal static IReadOnlyList<RecoveredEdit> RefusePending(SafeFileHandle file, string what)
    {
        if (Pending(file).FirstOrDefault() is { Record: { } record })
        {
            throw new EditIncompleteException(
                $"an interrupted edit of this file is in its journal ({record}); {what} changes nothing, so it cannot finish it first: run `movdata recover {Path.GetDirectoryName(Path.GetDirectoryName(record))}`, then try again");
        }
        return [];
    }

    /// <summary>Whether an interrupted (or running) edit of <paramref name="file"/> also names
    /// <paramref name="otherPath"/>: a file it makes or changes, such as a cut's saved parts,
    /// which may not exist until that edit is finished.</summary>
    internal static bool PendingNames(SafeFileHandle file, string otherPath)
    {
        string full = Path.GetFullPath(otherPath);
        return Pending(file).Any(p => p.Files.Any(f => f.Kind is EditFileKind.User or EditFileKind.Target && f.Path == full));
    }

    /// <summary>The records of <paramref name="file"/>'s journals that name it (as
    /// <see cref="ForFiles(SafeFileHandle[])"/> would find them), read without their locks.</summary>
    private static IEnumerable<(string Record, IReadOnlyList<EditFile> Files)> Pending(SafeFileHandle file)
    {
        string? path = Capabilities.PathOf(file);
        if (FileFacts.IdentityOf(file) is not { } id)
        {
            yield break;
        }
        var self = new FileIdentity(id.Inode, id.Birth);
        foreach (string record in JournalsOf(path).SelectMany(Records))
        {
            string text;
            try
            {
                text = JournalRecord.Peek(record);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                continue; // finished meanwhile
            }
            RecordReading seen = EditPlan.Read(text, Path.GetFileNameWithoutExtension(record));
            if (seen.Files.Any(f => f.Kind == EditFileKind.User && self.Matches(f)))
            {
                yield return (record, seen.Files);
            }
        }
    }

    /// <summary>What <see cref="RecoveredEdit.Edit"/> says of a record that cannot be read
    /// and names none of the files asked about.</summary>
    internal const string DamagedEdit = "?";

    private static RecoveredEdit? RecoverOne(string path, bool wait, List<FileIdentity>? only)
    {
        string id = Path.GetFileNameWithoutExtension(path);
        if (only is not null)
        {
            // Read without the lock first: a live edit of other files is not waited for.
            string peek;
            try
            {
                peek = JournalRecord.Peek(path);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return null;
            }
            RecordReading seen = EditPlan.Read(peek, id);
            bool ours = seen.Files.Any(f => f.Kind == EditFileKind.User && only.Any(i => i.Matches(f)));
            if (seen.Damage is not null)
            {
                return ours
                    ? new RecoveredEdit(path, seen.Plan?.Name ?? "edit", RecoveryOutcome.Failed, $"its journal record {path} cannot be read ({seen.Damage}); it is left in place")
                    : new RecoveredEdit(path, DamagedEdit, RecoveryOutcome.Failed, $"the journal record {path} cannot be read ({seen.Damage}); it is left in place");
            }
            if (seen.Plan is not null && !ours)
            {
                return null;
            }
        }
        using JournalRecord? record = JournalRecord.Open(path, wait, out string text);
        if (record is null)
        {
            return File.Exists(path) ? new RecoveredEdit(path, "?", RecoveryOutcome.InProgress, "another process holds this record: its edit is running") : null;
        }
        RecordReading reading = EditPlan.Read(text, id);
        // A payload file that is missing or not as the record says is damage to the record.
        if ((reading.Damage ?? (reading.Plan is { } read ? WritePayloads.Load(read, reading.Done) : null)) is { } damage)
        {
            string named = reading.Files.Count > 0 ? $" (it names {string.Join(", ", reading.Files.Select(f => $"{f.Role} {f.Path}"))})" : "";
            return new RecoveredEdit(path, reading.Plan?.Name ?? "?", RecoveryOutcome.Failed,
                $"the journal record cannot be read: {damage}{named}; it is left in place, and edits of the files it names are refused until it is dealt with (see docs/journal.md)");
        }
        if (reading.Plan is not { } plan)
        {
            // Empty or zero-filled: the record never became durable, so the edit never
            // changed anything.
            record.Complete();
            return new RecoveredEdit(path, "?", RecoveryOutcome.Discarded, "the record was incomplete: the edit had not begun");
        }
        string files = Describe(plan);
        // Every journal the edit used: beside each of its files (the caller's, and one it
        // creates, such as a cut's saved parts in another directory), and those its own files
        // are in. The record has a name in each on the same filesystem, and all go with it:
        // one left in the saved file's directory would be found, already done, by the restore.
        List<string> journals = [.. plan.Files.Select(f => f.Kind == EditFileKind.Own
            ? Path.GetDirectoryName(f.Path) ?? "/"
            : JournalRecord.DirectoryFor(Path.GetDirectoryName(f.Path) ?? "/")).Distinct()];
        record.AddNames(journals.Select(d => Path.Combine(d, id + JournalRecord.Extension)).Where(File.Exists));
        record.AddDirectories(journals);
        record.AddPayloads(WritePayloads.PathsOf(plan));
        try
        {
            bool finished = EditRunner.Resume(plan, record, reading.Done);
            return new RecoveredEdit(path, plan.Name, finished ? RecoveryOutcome.Finished : RecoveryOutcome.Discarded, files);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FileSystemNotSupportedException or ArgumentException)
        {
            return new RecoveredEdit(path, plan.Name, RecoveryOutcome.Failed, $"{files}: {e.Message}");
        }
    }

    /// <summary>"donor /a/take1.ts, receiver /a/edit.ts".</summary>
    private static string Describe(EditPlan plan) =>
        string.Join(", ", plan.Files.Where(f => f.Kind != EditFileKind.Own).Select(f => $"{f.Role} {f.Path}"));

    private static IEnumerable<string> Records(string journalDirectory)
    {
        if (!Directory.Exists(journalDirectory))
        {
            return []; // the common case, and one stat: no exception thrown and caught per edit
        }
        try
        {
            return Directory.GetFiles(journalDirectory, "*" + JournalRecord.Extension).Order(StringComparer.Ordinal);
        }
        catch (DirectoryNotFoundException)
        {
            return []; // none, or the last edit's record was just removed with its directory
        }
    }

    /// <summary>The journal next to a file's path; none for a file with no path.</summary>
    internal static IEnumerable<string> JournalsOf(string? path) =>
        path is not null ? [JournalRecord.DirectoryFor(Path.GetDirectoryName(path)!)] : [];
}

/// <summary>
/// What tells one file from another across a crash: its inode number and creation time (statx
/// btime, where the filesystem keeps one). Not the device number: a loop device or a disk can
/// come back under another number after a reboot, and the record is found next to the file
/// anyway, on its filesystem.
/// </summary>
internal readonly record struct FileIdentity(ulong Inode, long Birth)
{
    internal static FileIdentity Of(FileFacts f) => new(f.Inode, f.BirthNanoseconds);

    /// <summary>The same file as the record's, where both creation times are known; the same
    /// inode number where one is not.</summary>
    internal bool Matches(EditFile f) => Inode == f.Inode && (Birth == 0 || f.Birth == 0 || Birth == f.Birth);
}
