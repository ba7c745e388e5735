"""Items and exams as the engine stores them: authoring, publishing, assignment."""
