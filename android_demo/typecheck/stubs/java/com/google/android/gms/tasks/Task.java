package com.google.android.gms.tasks;

// Task<TResult> (https://developers.google.com/android/reference/com/google/android/gms/tasks/Task): the result of FaceDetector.process, only awaited.
public abstract class Task<TResult> {}
