package com.google.android.gms.tasks;

import java.util.concurrent.ExecutionException;

// Tasks: public static <TResult> TResult await(Task<TResult> task) throws ExecutionException, InterruptedException
// (https://developers.google.com/android/reference/com/google/android/gms/tasks/Tasks#await(com.google.android.gms.tasks.Task<TResult>))
public final class Tasks {
    private Tasks() {}

    public static <TResult> TResult await(Task<TResult> task) throws ExecutionException, InterruptedException {
        throw new UnsupportedOperationException("type-check stub");
    }
}
