// The README's engine snippets are compiled into ReadmeSnippets (obj/snippets); this program only has to exist.
Console.WriteLine("OrleansAof package consumer: storage engine");
