// The README's client snippets are compiled into ReadmeSnippets (obj/snippets); this program only has to exist.
Console.WriteLine("OrleansAof package consumer: client");
